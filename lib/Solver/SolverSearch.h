//===- SolverSearch.h - Sliced search for schedules and bounds --*- C++ -*-===//
//
// Internal to the solver library. The search state shared by the stages of
// OptimalSolver.cpp: the incumbent (best simulated schedule and the model
// cost it must beat), the best proven bound in model units, the clock and
// failure budget, and the Gecode engines that move them.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_SOLVER_SOLVERSEARCH_H
#define CROSSPIPE_LIB_SOLVER_SOLVERSEARCH_H

#include "CpModel.h"
#include "crosspipe/Solver/OptimalSolver.h"

#include <memory>

namespace crosspipe {
namespace sched {
namespace solver {

/// Stops a Gecode search at a point in time or after a number of failures.
class Budget : public Gecode::Search::Stop {
public:
  /// `everyNode` reads the clock at every node, for models whose nodes are
  /// slow enough that 64 of them would overrun the limit.
  Budget(const SearchClock &clock, double untilSeconds, uint64_t failures,
         bool everyNode = false)
      : clock(clock), untilSeconds(untilSeconds), failures(failures),
        stride(everyNode ? 1 : 64) {}
  /// A new limit for an engine that resumes (failures count from the
  /// engine's start).
  void reset(double until, uint64_t failureLimit) {
    untilSeconds = until;
    failures = failureLimit;
    calls = 0;
  }
  bool stop(const Gecode::Search::Statistics &s,
            const Gecode::Search::Options &) override {
    if (failures != 0 && s.fail >= failures)
      return true;
    // Reading the clock on every node costs more than small models' nodes.
    if (++calls % stride != 0)
      return false;
    return clock.elapsed() >= untilSeconds;
  }

private:
  const SearchClock &clock;
  double untilSeconds;
  uint64_t failures;
  unsigned stride;
  unsigned calls = 0;
};

/// What one bounded search established.
struct SearchOutcome {
  bool exhausted = false;
  bool foundSolution = false;
};

class SearchState {
public:
  SearchState(const Problem &problem, const Instance &inst,
              const SolverOptions &options, const SearchClock &clock,
              SolverResult &result);
  void run();
  /// Whether the search proved the optimum of its model (in whole units,
  /// durations rounded), and what that rounding may hide, in ms.
  bool modelOptimumProven() const { return closed() && bound.modelBoundValid; }
  double roundingMs() const { return inst.toMs(roundingSlack + 1); }

  struct {
    /// False when the model's optimum does not bound the simulator's
    /// makespan (see originShifted in OptimalSolver.cpp).
    bool modelBoundValid = true;
    /// Proven: no schedule has model makespan below this many units.
    int units = 0;
  } bound;

private:
  /// Bisection on "propagation alone refutes makespan <= L".
  void propagationBounds();
  /// Branch and bound below min(limit, incumbent - 1) until the time or
  /// failure budget ends.
  SearchOutcome search(int limit, double untilSeconds, uint64_t failures);
  /// Bounds from one-device relaxations, most promising first, until
  /// `untilSeconds` or `failures` (0 = no failure budget).
  void relaxationBounds(double untilSeconds, uint64_t failures);
  /// A relaxation of a few devices with its own resumable engine.
  struct Relaxed;
  /// Bounds `window`'s relaxation by propagation and readies its engine;
  /// false when that closed the gap or the relaxation already refutes the
  /// incumbent (no relaxation is worth starting then).
  bool startRelaxation(const std::vector<int> &window, Relaxed &r);
  /// Searches the open relaxations round robin until each is exhausted or
  /// no longer able to raise the bound, or the budget ends.
  void searchRelaxations(std::vector<Relaxed> &open, double untilSeconds,
                         uint64_t failures);
  /// Large neighbourhood search around the incumbent: all orders outside a
  /// time window kept, the window's searched, until `untilSeconds`.
  void largeNeighbourhoodSearch(double untilSeconds, uint64_t failures);
  /// Bisection probes with search in the remaining time.
  void probeBounds();
  void account(const Gecode::Search::Statistics &stats);
  /// Simulates a solution; keeps it if it beats the incumbent.
  void adopt(const CpSpace &solution);
  void raiseBound(int units);
  void record();
  /// Posts the root model and propagates it, unless the time left is too
  /// short for that; false (with a note) when the search cannot go on.
  bool startRoot();
  /// Whether the clock is read at every search node (large models).
  bool slowNodes() const;
  /// Failures still allowed by SolverOptions::failLimit (0 = unlimited).
  uint64_t failuresLeft() const;
  bool closed() const { return bound.units >= incumbentUnits; }

  const Problem &problem;
  const Instance &inst;
  const SolverOptions &options;
  const SearchClock &clock;
  SolverResult &result;
  std::shared_ptr<Phases> phases;
  std::unique_ptr<CpSpace> root;
  /// Model cost of the best schedule known; search looks below it.
  int incumbentUnits = 0;
  /// Start of every compute task in the incumbent, in model units.
  std::vector<int> incumbentStarts;
  /// Rounding the model may add along a path when times are inexact.
  int roundingSlack = 0;
  uint64_t failuresSpent = 0;
};

/// Derives the gap and the optimality flag, clamps the bound, and records
/// the final progress point.
void finishResult(SolverResult &result, const SearchClock &clock);

} // namespace solver
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_LIB_SOLVER_SOLVERSEARCH_H
