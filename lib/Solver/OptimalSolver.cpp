//===- OptimalSolver.cpp - Seed, search, bound and report -----------------===//
//
// The driver of the optimal scheduler. It starts from the greedy schedule
// (the incumbent, so the answer is never worse), proves what it can about
// the optimum in stages that share the time limit, and reports the
// best schedule with the strongest bound:
//   1. propagation-only probes: "makespan <= L" is refuted by the root
//      propagation alone for every L below some threshold, found by
//      bisection; cheap, and often already tight;
//   2. the same for relaxations to windows of one to three neighbouring
//      devices, everything else folded into longest-path lags, heads and
//      tails, then searched round robin until they close: each optimum
//      bounds the whole (SolverRelaxation.cpp);
//   3. branch and bound with Luby restarts and no-goods, each improving
//      solution re-simulated and its orders adopted as the next phases; if
//      it exhausts the space, the incumbent is optimal;
//   4. large neighbourhood search: the incumbent's orders kept outside a
//      random time window, the window searched, to improve the incumbent;
//   5. bisection probes with search: each either refutes "makespan <= L"
//      (raising the bound), finds a schedule (lowering the incumbent) or
//      runs out of its slice.
// Every schedule is timed by simulate(): that, not the model, is the claim.
// The time limit covers set-up: building the model and posting it check
// the deadline, and when it passes (or the model would exceed the memory
// cap) the seed is returned with its analytic bound and a note saying why.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Solver/OptimalSolver.h"

#include "CpModel.h"
#include "SolverSearch.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include <algorithm>
#include <climits>
#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;

namespace {

/// Relative tolerance under which two makespans are the same.
constexpr double kTolerance = 1e-9;

/// When device 0 holds chunks but not chunk 0, the simulator measures from
/// a start the model leaves free, so the model's bound does not apply.
bool originShifted(const Problem &problem) {
  if (problem.chunks.empty() || problem.chunks[0].device == 0)
    return false;
  return !problem.chunksOnDevice(0).empty();
}

/// Why `options` cannot be used, or "".
std::string checkOptions(const SolverOptions &options) {
  if (options.threads < 1 || options.threads > kMaxSolverThreads)
    return "threads must be between 1 and " +
           std::to_string(kMaxSolverThreads) + ", got " +
           std::to_string(options.threads);
  if (std::isnan(options.timeLimitSeconds))
    return "the time limit is not a number";
  if (!std::isfinite(options.timeResolutionMs) || options.timeResolutionMs < 0)
    return "the time resolution must be a finite number of ms >= 0";
  return "";
}

/// Builds the instance within the time limit and the memory cap; on
/// failure the seed stands and `result.note` says why.
bool buildWithinLimits(const Problem &problem, const Schedule &seed,
                       const SolverOptions &options, const SearchClock &clock,
                       SolverResult &result, Instance &inst) {
  if (clock.expired()) {
    result.note = "the time limit ran out before the model was built";
    return false;
  }
  BuildLimits limits;
  limits.clock = &clock;
  limits.timeResolutionMs = options.timeResolutionMs;
  // Saturates instead of overflowing for absurd caps.
  limits.maxBytes = options.memoryLimitMiB >= (uint64_t(1) << 43)
                        ? UINT64_MAX
                        : options.memoryLimitMiB << 20;
  std::string err =
      buildInstance(problem, seed, result.makespanMs, inst, limits);
  if (err.empty())
    return true;
  // The seed stands; only its analytic bound is known.
  result.unitsPerMs = 0;
  result.note = "no search: " + err;
  return false;
}

/// Raises every compute task's release and tail to the analytic bound's
/// order statistics: the model runs each kind of a chunk in microbatch
/// order, so microbatch mb is the mb-th to start and the (M - 1 - mb)-th
/// from last to end. Model durations are rounded up, which only raises
/// what the statistics bound. Stronger releases and tails tighten the
/// root's propagation, the probes and the device relaxations.
void tightenHeadsAndTails(const Problem &problem, Instance &inst) {
  OrderStatistics stats = computeOrderStatistics(problem);
  if (stats.headMs.size() != size_t(inst.numChunks))
    return;
  auto units = [&](double ms) {
    return int(std::min(double(inst.horizon),
                        std::ceil(ms * inst.unitsPerMs - 1e-6)));
  };
  std::vector<char> isSink(inst.tasks.size(), 0);
  for (int s : inst.sinks)
    isSink[s] = 1;
  int m = inst.numMicrobatches;
  for (int c = 0; c < inst.numChunks; ++c)
    for (int slot = 0; slot < inst.slots; ++slot)
      for (int mb = 0; mb < m; ++mb) {
        Task &t = inst.tasks[inst.taskOf(c, mb, slot)];
        t.release = std::max(t.release, units(stats.headMs[c][slot][mb]));
        int tail = units(stats.tailMs[c][slot][m - 1 - mb]);
        if (tail <= t.tail)
          continue;
        t.tail = tail;
        if (!isSink[inst.taskOf(c, mb, slot)]) {
          isSink[inst.taskOf(c, mb, slot)] = 1;
          inst.sinks.push_back(inst.taskOf(c, mb, slot));
        }
      }
}

} // namespace

SolverResult crosspipe::sched::solveOptimal(const Problem &problem,
                                            const SolverOptions &options) {
  SolverResult result;
  SearchClock clock(options.timeLimitSeconds);
  if (std::string err = checkOptions(options); !err.empty()) {
    result.error = err;
    return result;
  }

  // The seed: the caller's, or the greedy's.
  Schedule seed = options.seed;
  if (seed.order.empty()) {
    GreedyResult greedy = scheduleGreedy(problem);
    if (!greedy.ok) {
      result.error = greedy.error;
      return result;
    }
    seed = std::move(greedy.schedule);
  }
  SimResult seedSim = simulate(problem, seed);
  if (!seedSim.ok) {
    result.error = "the seed schedule is invalid: " + seedSim.error;
    return result;
  }
  for (int d = 0, e = problem.numDevices(); d < e; ++d)
    if (seedSim.peakMemoryBytes[d] > problem.memoryLimit(d)) {
      result.error = "the seed schedule exceeds the memory budget of device " +
                     std::to_string(d);
      return result;
    }
  seed.algorithm = "optimal";
  result.ok = true;
  result.schedule = seed;
  result.makespanMs = result.seedMakespanMs = seedSim.makespanMs;
  result.analyticLowerBoundMs = computeLowerBound(problem).makespanMs;
  result.lowerBoundMs =
      std::min(result.analyticLowerBoundMs, result.makespanMs);

  Instance inst;
  if (!buildWithinLimits(problem, seed, options, clock, result, inst)) {
    finishResult(result, clock);
    return result;
  }
  result.unitsPerMs = inst.unitsPerMs;
  result.resolutionMs = 1.0 / inst.unitsPerMs;
  result.exactTimes = inst.exactTimes;
  result.orderVariables = int(inst.pairs.size());
  if (!originShifted(problem))
    tightenHeadsAndTails(problem, inst);

  SearchState state(problem, inst, options, clock, result);
  state.bound.modelBoundValid = !originShifted(problem);
  state.run();
  result.optimalWithinResolution = state.modelOptimumProven();
  result.roundingMs = state.roundingMs();
  finishResult(result, clock);
  return result;
}
