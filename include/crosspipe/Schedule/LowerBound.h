//===- LowerBound.h - Provable lower bounds on the makespan -----*- C++ -*-===//
//
// Bounds that no schedule of a problem can beat, so every schedule can
// report its distance to the limit without a solver. Each is a relaxation of
// the simulator's model (some resources dropped: link queues, other
// devices, memory), hence valid for every schedule, and each is exact on a
// family of cases the unit tests pin down (one microbatch without delay;
// 1F1B, ZB-H1 and ZB-V with equal blocks; a device that can hold one
// activation; memory recycled behind a round trip; a saturated link).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_LOWERBOUND_H
#define CROSSPIPE_SCHEDULE_LOWERBOUND_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

namespace crosspipe {
namespace sched {

struct LowerBound {
  /// The largest of the bounds below.
  double makespanMs = 0;
  /// Per device, maximized: the earliest its first forward can start, plus
  /// all its compute, plus the least work that must follow its last block.
  double deviceBoundMs = 0;
  /// One microbatch's forward chain and backward chain with one message
  /// per hop, then its W and all-reduce tails.
  double roundTripBoundMs = 0;
  /// Little's law per chunk: a device that can hold k activations of a
  /// chunk (or k' of what its W keeps), each for at least the chunk's round
  /// trip, needs ceil(M/k) rounds; and the memory-time integral over all
  /// chunks of a device; and, on a device running two consecutive chunks
  /// (a wave's turn) whose budget cannot hold a second microbatch's pair of
  /// activations, the cycle each microbatch's round trip and local blocks
  /// impose on the next (LowerBound.cpp, turnBound). 0 without a budget.
  double memoryBoundMs = 0;
  /// Per device, the all-reduces queued behind the earliest possible end of
  /// each chunk's last W (or B). Without DP: the latest chunk completion.
  double dpTailBoundMs = 0;
  /// Per device, one machine with order-statistic heads and tails (links
  /// queueing and memory recycled behind round trips raise them): the
  /// largest head + work forced between + tail (SequenceBound.cpp).
  double sequenceBoundMs = 0;
  /// The same per directed link over the messages queued on it: on wave
  /// placement each direction carries two boundaries' messages.
  double linkBoundMs = 0;
  /// False when even one microbatch cannot fit some device's budget: no
  /// schedule exists. The bounds stay finite (that device's memory bound is
  /// left out) so that callers can still print them.
  bool memoryFeasible = true;
};

/// Computes the bounds. Never throws; a malformed problem (no chunks or
/// microbatches, a chunk on a missing device) yields all zeros. Makespan is
/// measured as the simulator does, from the first F on device 0; when device
/// 0 holds chunks but not chunk 0, only its own device bound is valid.
/// The bounds hold for every schedule whose blocks are cut into at most
/// `maxParts` parts: sub-blocks free their slices of an activation early
/// (BlockGraph.h), which loosens the memory bound.
LowerBound computeLowerBound(const Problem &problem, int maxParts = 1);

/// Order statistics of each chunk's blocks of one kind (slot F = 0, B or
/// D = 1, W = 2, as BlockGraph::slotOf numbers them): headMs[c][slot][k]
/// bounds the start of the k-th of its M blocks to start (from 0, relative
/// to the first F on device 0) and tailMs[c][slot][j] the time from the end
/// of the j-th from last to end to the end of the step. A schedule that runs
/// each kind of a chunk in microbatch order (as the solver's model does)
/// starts block (c, slot, mb) no earlier than headMs[c][slot][mb] and ends
/// it at least tailMs[c][slot][M - 1 - mb] before the makespan. Empty when
/// computeLowerBound() has only its device bound (a malformed problem, or
/// device 0 holding chunks but not chunk 0).
struct OrderStatistics {
  std::vector<std::vector<std::vector<double>>> headMs, tailMs;
};
OrderStatistics computeOrderStatistics(const Problem &problem,
                                       int maxParts = 1);

/// The most parts any block of `schedule` is cut into (1 for whole blocks):
/// the `maxParts` under which computeLowerBound() bounds it.
int maxPartsOf(const Schedule &schedule);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_LOWERBOUND_H
