//===- OptimalSolver.h - Optimal schedules with a proven gap ----*- C++ -*-===//
//
// The optimal scheduler: a constraint model of the simulator's performance
// model (start times, one unary resource per device, link queues, memory
// budgets, DP collectives on each device's communication resource) solved by
// Gecode, seeded with the greedy schedule so the answer is never worse than
// it. The search stops at a proven optimum or at the time limit, and every
// answer carries the best proven lower bound, so its distance to the optimum
// is known: gap = (makespan - lowerBound) / makespan. The time limit covers
// the model's set-up too, and a memory cap keeps models that would not fit
// from being built: either way the seed is returned with a note saying why.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SOLVER_OPTIMALSOLVER_H
#define CROSSPIPE_SOLVER_OPTIMALSOLVER_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

/// More search threads than this are refused: each costs a thread stack
/// and a copy of the model.
constexpr int kMaxSolverThreads = 1024;

struct SolverOptions {
  /// Wall-clock budget of the whole call, greedy seed included.
  double timeLimitSeconds = 10;
  /// Search threads, 1 to kMaxSolverThreads; 1 (the default) makes results
  /// deterministic up to the time limit.
  int threads = 1;
  /// Cap on the memory the model and its search may take, estimated from
  /// the model's size while it is built; above it the search is skipped
  /// (0 = no cap).
  uint64_t memoryLimitMiB = 4096;
  /// A budget in search failures instead of time (0 = none), for tests and
  /// reproducible runs: the result then does not depend on machine speed.
  uint64_t failLimit = 0;
  /// The schedule to start from; empty means the greedy's.
  Schedule seed;
  /// The model's time unit in ms (0 = automatic: the coarsest unit that
  /// makes every duration a whole number of units, else one fine enough
  /// that rounding stays far below any gap worth reporting). Coarser units
  /// search faster; durations that are not multiples are rounded up and
  /// the proof discounted by that rounding. Raised where the step would not
  /// fit the model's integer range.
  double timeResolutionMs = 0;
};

/// A point of the anytime curve: best makespan and best proven bound so far.
struct SolverProgress {
  double seconds = 0;
  double makespanMs = 0;
  double lowerBoundMs = 0;
};

struct SolverResult {
  bool ok = false;
  std::string error;
  /// Why the search was cut short or skipped (the time limit ran out during
  /// set-up, the model would exceed the memory cap or cannot be built);
  /// empty when it ran normally.
  std::string note;
  /// The best schedule found, "optimal" as its algorithm; whole blocks.
  Schedule schedule;
  /// simulate(problem, schedule).makespanMs.
  double makespanMs = 0;
  /// The seed's simulated makespan; makespanMs never exceeds it.
  double seedMakespanMs = 0;
  /// The best proven lower bound: the analytic one (computeLowerBound) or
  /// the solver's, whichever is stronger.
  double lowerBoundMs = 0;
  /// The analytic part of lowerBoundMs alone.
  double analyticLowerBoundMs = 0;
  /// True when makespanMs is proven optimal (then lowerBoundMs equals it).
  bool optimal = false;
  /// (makespanMs - lowerBoundMs) / makespanMs, 0 when proven optimal.
  double gap = 0;
  /// When the search found its first schedule better than the seed, in
  /// seconds since the call began; negative if it found none.
  double secondsToFirstSolution = -1;
  double seconds = 0;
  /// Time resolution of the model: durations are multiples of 1/unitsPerMs
  /// ms; `exactTimes` says whether every duration was one exactly (if not,
  /// they were rounded up and the bound discounted by the rounding).
  double unitsPerMs = 0;
  bool exactTimes = true;
  /// 1 / unitsPerMs: the time resolution in ms (0 when no model was built).
  double resolutionMs = 0;
  /// The search proved the optimum of its model, whose durations are
  /// rounded to the resolution: makespanMs is optimal up to `roundingMs`
  /// (what that rounding can add along a path), and the gap, if any, is
  /// no more than that. Always true when `optimal`.
  bool optimalWithinResolution = false;
  double roundingMs = 0;
  /// Model size and search effort.
  int orderVariables = 0;
  uint64_t nodes = 0;
  uint64_t failures = 0;
  /// Best makespan and bound over time, starting with the seed.
  std::vector<SolverProgress> progress;
};

/// Computes a schedule of `problem` with the constraint solver. Never
/// throws; an unusable problem (one the greedy cannot schedule either)
/// yields ok == false with the reason.
SolverResult solveOptimal(const Problem &problem,
                          const SolverOptions &options = SolverOptions());

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SOLVER_OPTIMALSOLVER_H
