//===- SolverInstance.h - The solver's integer task graph -------*- C++ -*-===//
//
// Internal to the solver library. A problem becomes a graph of tasks with
// integer durations (compute blocks, messages on queued links, DP
// collectives), lagged precedences between their start times, the resources
// they share, and the pairs of blocks on one device whose order is still
// open once every precedence is known. Building it needs no Gecode, so it is
// unit-testable on its own, and the Gecode model (CpModel.h) is a direct
// translation of it.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_SOLVER_SOLVERINSTANCE_H
#define CROSSPIPE_LIB_SOLVER_SOLVERINSTANCE_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace crosspipe {
namespace sched {
namespace solver {

/// The wall clock of one solver call and its deadline, checked by every
/// phase (building the instance, the bounds, the search) so that the time
/// limit holds including set-up.
class SearchClock {
public:
  using Clock = std::chrono::steady_clock;
  explicit SearchClock(double limitSeconds)
      : begin(Clock::now()), limitSeconds(std::max(0.0, limitSeconds)) {}
  double elapsed() const {
    return std::chrono::duration<double>(Clock::now() - begin).count();
  }
  double limit() const { return limitSeconds; }
  double remaining() const { return std::max(0.0, limitSeconds - elapsed()); }
  bool expired() const { return elapsed() >= limitSeconds; }

private:
  Clock::time_point begin;
  double limitSeconds;
};

/// What building an instance may spend: a deadline (none when null) and a
/// cap on the estimated memory of the model and its search (0 = none).
struct BuildLimits {
  const SearchClock *clock = nullptr;
  uint64_t maxBytes = 0;
  /// SolverOptions::timeResolutionMs (0 = automatic).
  double timeResolutionMs = 0;
  bool expired() const { return clock && clock->expired(); }
};

/// The message of a build that ran out of time.
inline const char *kOutOfTime = "the time limit ran out while building the "
                                "model";

enum class TaskKind : uint8_t { Compute, Message, Collective };

struct Task {
  TaskKind kind = TaskKind::Compute;
  /// In model units (1 / Instance::unitsPerMs ms).
  int duration = 0;
  /// Earliest start (ZeRO-1 all-gathers hold back forwards).
  int release = 0;
  /// Work that must follow the task's end before the makespan (only in
  /// relaxations, which leave that work out of the model).
  int tail = 0;
  /// Compute and collective: the device; message: the sending device.
  int device = 0;
  /// Compute: the block; message: the block that sends it.
  Block block;
  /// Message: the task that sends it.
  int producer = -1;
  /// Collective: chunk and bucket.
  int chunk = 0;
  int bucket = 0;
};

/// start[to] >= start[from] + lag.
struct Arc {
  int from = 0;
  int to = 0;
  int lag = 0;
};

/// Two blocks on one device whose order no precedence decides; the model's
/// Boolean is true when `a` runs first. `seedFirst` is the seed's order.
struct OrderPair {
  int a = 0;
  int b = 0;
  bool seedFirst = true;
};

/// A literal "pair p's Boolean is `value`".
struct Literal {
  int pair = 0;
  bool value = true;
};

/// A transitivity clause: at least one of its two or three literals holds.
/// Stored inline, so millions of them cost one allocation to build and
/// nothing to free (freeing them one by one took 0.4 s past the time limit
/// at 32 x 128).
struct Clause {
  Literal lits[3];
  int size = 0;
};

/// Two messages of different streams on one queued link; the Boolean is
/// true when `a` goes first, which FIFO fixes by send time, ties to
/// `a` when `aWinsTie`. Messages sent by one device leave in the order of
/// their producers there, so their Boolean is that order's (`byOrder`).
struct FifoPair {
  int a = 0;
  int b = 0;
  bool aWinsTie = true;
  bool sameSender = false;
  Literal byOrder;
};

/// Activations of several chunks sharing a device's budget: task i holds
/// height[i] from the start of first[i] (its F) to the end of last[i].
struct MemoryGroup {
  int device = 0;
  int capacity = 0;
  std::vector<int> first, last, height;
};

/// One activation counted at an allocation: held when all literals hold
/// (its F ran first and its release did not; none = held for certain).
struct MemoryTerm {
  int height = 0;
  std::vector<Literal> all;
};

/// The memory budget at one F's start, in terms of the device order: the
/// terms held then sum to at most `capacity` (the budget less the F's own
/// activation). Exact once the device order is known.
struct MemoryCheck {
  int capacity = 0;
  std::vector<MemoryTerm> terms;
};

struct Instance {
  double unitsPerMs = 1;
  /// Every duration is an exact multiple of the unit.
  bool exactTimes = true;
  /// Upper end of every start-time domain.
  int horizon = 0;
  /// Lower bound of the makespan from tasks outside the graph (all-gathers).
  int minMakespan = 0;

  std::vector<Task> tasks;
  std::vector<Arc> arcs;
  /// Per device, its compute tasks (unary resource).
  std::vector<std::vector<int>> devices;
  /// Message tasks of each link that carries several streams (unary, FIFO).
  std::vector<std::vector<int>> queues;
  /// Per device, its gradient collectives (unary communication resource).
  std::vector<std::vector<int>> comm;
  std::vector<MemoryGroup> memory;
  std::vector<MemoryCheck> memoryChecks;
  /// Tasks whose end bounds the makespan.
  std::vector<int> sinks;

  std::vector<OrderPair> pairs;
  std::vector<FifoPair> fifo;
  /// Transitivity of the device orders: at least one literal holds.
  std::vector<Clause> clauses;

  int numChunks = 0;
  int numMicrobatches = 0;
  /// 3 when split (F, D, W), else 2 (F, B).
  int slots = 2;
  int taskOf(int chunk, int mb, int slot) const {
    return (chunk * numMicrobatches + mb) * slots + slot;
  }

  /// Model units <-> milliseconds.
  int toUnits(double ms) const;
  double toMs(int64_t units) const { return double(units) / unitsPerMs; }
};

/// Derives the open order pairs of every device (with the seed's orders as
/// their preferred values), the transitivity clauses and the memory checks
/// of shared budgets from the arcs. Returns why it cannot, or "" (also
/// kOutOfTime, or the memory cap's message when the model's estimated
/// memory exceeds `limits.maxBytes`).
std::string deriveOrderPairs(const Schedule &seed, Instance &inst,
                             const BuildLimits &limits = BuildLimits());

/// Estimated bytes of the model of `inst` with `clauses` transitivity
/// clauses, its Gecode space and the copies a search keeps.
uint64_t estimateModelBytes(const Instance &inst, size_t clauses);

/// The relaxation of `full` to a few devices: their compute tasks with
/// everything else folded into heads (earliest starts), tails (least work
/// after their end) and lags (longest paths between them through other
/// devices), resources elsewhere ignored. Its optimum is a lower bound on
/// the full optimum, and with few devices' orders it proves far more
/// quickly. `seed` gives the preferred orders. Returns false when `limits`
/// stopped it (then `out` is unusable).
bool buildDeviceRelaxation(const Instance &full,
                           const std::vector<int> &devices,
                           const Schedule &seed, Instance &out,
                           const BuildLimits &limits = BuildLimits());

/// Builds the task graph of `problem`. `seed` (a schedule of whole or cut
/// blocks; only its per-device order is used) gives each order pair its
/// preferred value, `upperBoundMs` the horizon. Returns an empty string on
/// success, else why the problem cannot be modelled or `limits` stopped
/// the build.
std::string buildInstance(const Problem &problem, const Schedule &seed,
                          double upperBoundMs, Instance &out,
                          const BuildLimits &limits = BuildLimits());

} // namespace solver
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_LIB_SOLVER_SOLVERINSTANCE_H
