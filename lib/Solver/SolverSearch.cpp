//===- SolverSearch.cpp - Time-sliced search for schedules and bounds -----===//
//
// All three stages reduce to one primitive: branch and bound with restarts
// below a chosen makespan L. Exhausting it without a solution proves that
// nothing is at most L; exhausting it after solutions proves the last one
// optimal; running out of budget proves nothing but may still improve the
// incumbent. Stage 1 uses the same question with propagation only.
//
//===----------------------------------------------------------------------===//

#include "SolverSearch.h"

#include "crosspipe/Schedule/Simulator.h"

#include <algorithm>
#include <cmath>

using namespace Gecode;
using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;

namespace {
/// Restart cutoffs are this many failures times the Luby sequence.
constexpr unsigned long kLubyScale = 64;
/// No-goods recorded per restart.
constexpr unsigned kNogoodsLimit = 256;
/// Share of the time after stage 1 given to the main branch and bound.
constexpr double kImproveShare = 0.5;
} // namespace

SearchState::SearchState(const Problem &problem, const Instance &inst,
                         const SolverOptions &options,
                         const SearchClock &clock, SolverResult &result)
    : problem(problem), inst(inst), options(options), clock(clock),
      result(result), phases(std::make_shared<Phases>(inst)) {
  // The seed's model cost, conservatively: the simulator's time rounded up.
  incumbentUnits =
      int(std::ceil(result.makespanMs * inst.unitsPerMs - 1e-6));
  if (!inst.exactTimes)
    roundingSlack = 3 * int(inst.tasks.size());
  // With exact times every makespan is a whole number of units, so the
  // analytic bound rounds up; it may already close the gap.
  if (inst.exactTimes)
    bound.units = std::max(
        0, int(std::ceil(result.analyticLowerBoundMs * inst.unitsPerMs - 1e-6)));
}

uint64_t SearchState::failuresLeft() const {
  if (options.failLimit == 0)
    return 0;
  return options.failLimit > failuresSpent ? options.failLimit - failuresSpent
                                           : 1;
}

void SearchState::record() {
  result.progress.push_back(
      {clock.elapsed(), result.makespanMs,
       std::max(result.lowerBoundMs, result.analyticLowerBoundMs)});
}

void SearchState::raiseBound(int units) {
  if (units <= bound.units)
    return;
  bound.units = units;
  if (!bound.modelBoundValid)
    return;
  // The model's durations may be rounded up by less than a unit each.
  double ms = inst.toMs(std::max(0, units - roundingSlack));
  if (ms > result.lowerBoundMs) {
    result.lowerBoundMs = std::min(ms, result.makespanMs);
    record();
  }
}

void SearchState::adopt(const CpSpace &solution) {
  std::vector<int> starts = solution.startValues();
  incumbentUnits = std::min(incumbentUnits, solution.makespanValue());
  phases->adopt(inst, starts);
  // Device orders by start time; equal starts only for empty blocks.
  Schedule schedule;
  schedule.algorithm = "optimal";
  schedule.order.resize(inst.devices.size());
  for (size_t d = 0; d < inst.devices.size(); ++d) {
    std::vector<int> tasks = inst.devices[d];
    std::stable_sort(tasks.begin(), tasks.end(), [&](int a, int b) {
      return starts[a] < starts[b];
    });
    for (int t : tasks)
      schedule.order[d].push_back(inst.tasks[t].block);
  }
  SimResult sim = simulate(problem, schedule);
  if (!sim.ok || sim.makespanMs >= result.makespanMs * (1 - 1e-12))
    return;
  result.schedule = std::move(schedule);
  result.makespanMs = sim.makespanMs;
  if (result.secondsToFirstSolution < 0)
    result.secondsToFirstSolution = clock.elapsed();
  record();
}

SearchOutcome SearchState::search(int limit, double untilSeconds,
                                  uint64_t failures) {
  SearchOutcome outcome;
  limit = std::min(limit, incumbentUnits - 1);
  if (limit < bound.units)
    return outcome;
  CpSpace *space = static_cast<CpSpace *>(root->clone());
  space->boundMakespan(limit);
  Budget stop(clock, untilSeconds, failures);
  Search::Options o;
  o.threads = std::max(1, options.threads);
  o.stop = &stop;
  o.cutoff = Search::Cutoff::luby(kLubyScale);
  o.nogoods_limit = kNogoodsLimit;
  o.clone = false;
  RBS<CpSpace, BAB> engine(space, o);
  while (CpSpace *solution = engine.next()) {
    outcome.foundSolution = true;
    adopt(*solution);
    delete solution;
  }
  outcome.exhausted = !engine.stopped();
  Search::Statistics stats = engine.statistics();
  result.nodes += stats.node;
  result.failures += stats.fail;
  failuresSpent += stats.fail;
  if (outcome.exhausted)
    // Nothing below the last solution (or below limit + 1 without one).
    raiseBound(outcome.foundSolution ? incumbentUnits : limit + 1);
  return outcome;
}

void SearchState::propagationBounds() {
  int lo = std::max(bound.units, root->makespanMin());
  raiseBound(lo);
  int hi = incumbentUnits - 1;
  while (lo <= hi && clock.remaining() > 0) {
    int mid = lo + (hi - lo) / 2;
    std::unique_ptr<CpSpace> probe(static_cast<CpSpace *>(root->clone()));
    probe->boundMakespan(mid);
    if (probe->status() == SS_FAILED) {
      raiseBound(mid + 1);
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
}

void SearchState::probeBounds() {
  // Each probe asks "is there a schedule of model makespan <= L?" for L
  // halfway between the bound and the incumbent. A probe that runs out of
  // its slice leaves the answer open; the next one tries a lower L, and
  // when the open range is used up the slices double.
  double slice = std::max(0.05, clock.remaining() / 16);
  uint64_t failSlice = options.failLimit ? std::max<uint64_t>(
                                               failuresLeft() / 16, 64)
                                         : 0;
  int hi = incumbentUnits - 1;
  while (!closed() && clock.remaining() > 0.01 &&
         (options.failLimit == 0 || failuresSpent < options.failLimit)) {
    if (hi < bound.units) {
      hi = incumbentUnits - 1;
      slice *= 2;
      failSlice *= 2;
    }
    int mid = bound.units + (hi - bound.units) / 2;
    uint64_t failures =
        options.failLimit ? std::min(failSlice, failuresLeft()) : 0;
    SearchOutcome out = search(
        mid, std::min(clock.limit(), clock.elapsed() + slice), failures);
    if (out.exhausted || out.foundSolution)
      hi = incumbentUnits - 1;
    else
      hi = mid - 1;
  }
}

void SearchState::run() {
  record();
  if (closed())
    return;
  root = std::make_unique<CpSpace>(inst, phases, incumbentUnits - 1);
  if (root->status() == SS_FAILED) {
    // Nothing beats the seed in the model.
    raiseBound(incumbentUnits);
    return;
  }
  propagationBounds();
  if (closed())
    return;
  double until = clock.elapsed() + kImproveShare * clock.remaining();
  uint64_t failures = options.failLimit ? failuresLeft() / 2 : 0;
  SearchOutcome main = search(incumbentUnits - 1, until, failures);
  if (main.exhausted || closed())
    return;
  probeBounds();
}

void crosspipe::sched::solver::finishResult(SolverResult &result,
                                            const SearchClock &clock) {
  result.lowerBoundMs =
      std::min(std::max(result.lowerBoundMs, result.analyticLowerBoundMs),
               result.makespanMs);
  double m = result.makespanMs;
  result.gap = m > 0 ? std::max(0.0, (m - result.lowerBoundMs) / m) : 0.0;
  result.optimal = result.gap <= 1e-9;
  if (result.optimal) {
    result.gap = 0;
    result.lowerBoundMs = m;
  }
  result.seconds = clock.elapsed();
  result.progress.push_back({result.seconds, m, result.lowerBoundMs});
}
