//===- CpModel.h - The Gecode model of a solver instance --------*- C++ -*-===//
//
// Internal to the solver library. One Gecode space per search node: start
// times, the order Booleans of each device, FIFO Booleans of shared links
// and the makespan. Branching decides device orders first (CHB activity,
// values from the phase table, which holds the incumbent's orders), then
// fixes every start to its earliest value, which with all orders known
// reproduces the simulator's as-soon-as-possible timeline.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_SOLVER_CPMODEL_H
#define CROSSPIPE_LIB_SOLVER_CPMODEL_H

#include "SolverInstance.h"

#include <gecode/int.hh>
#include <gecode/minimodel.hh>
#include <gecode/search.hh>

#include <atomic>
#include <memory>
#include <vector>

namespace crosspipe {
namespace sched {
namespace solver {

/// Preferred value of every order Boolean, shared by all spaces of a
/// search and updated whenever a better schedule is found (solution-guided
/// phase saving). Atomic so parallel search threads may read it.
class Phases {
public:
  explicit Phases(const Instance &inst);
  bool get(int pair) const {
    return values[pair].load(std::memory_order_relaxed);
  }
  void set(int pair, bool v) {
    values[pair].store(v, std::memory_order_relaxed);
  }
  /// Adopts the orders of a schedule given by its task start times.
  void adopt(const Instance &inst, const std::vector<int> &starts);

private:
  std::unique_ptr<std::atomic<bool>[]> values;
};

class CpSpace : public Gecode::IntMinimizeSpace {
public:
  /// Posts the model with makespan <= maxMakespan. Posting a large model
  /// takes seconds, so it stops when `deadline` (if any) passes; the space
  /// is then interrupted() and unusable.
  CpSpace(const Instance &inst, std::shared_ptr<Phases> phases, int maxMakespan,
          const SearchClock *deadline = nullptr);
  CpSpace(CpSpace &other);
  Gecode::Space *copy() override;
  Gecode::IntVar cost() const override { return makespan; }

  /// Further restricts the makespan (for lower-bound probes).
  void boundMakespan(int maxMakespan);
  /// Fixes every open order between two tasks that both start outside
  /// [from, to) in `starts` to the order `starts` gives them (a large
  /// neighbourhood around a time window of a known schedule).
  void keepOrdersOutside(const std::vector<int> &starts, int from, int to);
  bool interrupted() const { return stoppedPosting; }
  int makespanMin() const { return makespan.min(); }
  int makespanValue() const { return makespan.val(); }
  /// Start times of all tasks, once assigned.
  std::vector<int> startValues() const;

private:
  void postPrecedences();
  void postResources();
  void postOrders();
  void postMemoryChecks();
  void postBranching();
  /// Checked every few thousand constraints while posting.
  bool outOfTime(size_t posted);

  const Instance &inst;
  const SearchClock *deadline = nullptr;
  bool stoppedPosting = false;
  std::shared_ptr<Phases> phases;
  Gecode::IntVarArray start;
  Gecode::BoolVarArray order;
  Gecode::BoolVarArray fifo;
  Gecode::IntVar makespan;
};

} // namespace solver
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_LIB_SOLVER_CPMODEL_H
