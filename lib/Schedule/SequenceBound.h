//===- SequenceBound.h - Order-statistic sequencing bounds ------*- C++ -*-===//
//
// Internal to the scheduling library (LowerBound.cpp is its one user). The
// one-machine relaxations of the makespan: per device and per directed link,
// the blocks (messages) that must run there, each with a head (no earlier
// start) and a tail (no less time from its end to the end of the step), give
// max over windows [a, T - b] of a + b + the work that must fall inside.
// Heads and tails are order statistics: the k-th F of a chunk to start, the
// k-th message of a boundary to cross, the k-th release that frees memory
// for the next F, so queueing on links and memory recycling raise them.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_SCHEDULE_SEQUENCEBOUND_H
#define CROSSPIPE_LIB_SCHEDULE_SEQUENCEBOUND_H

#include "crosspipe/Schedule/LowerBound.h"

namespace crosspipe {
namespace sched {
namespace detail {

struct SequenceBounds {
  /// Per device, the largest window bound over its blocks.
  double deviceMs = 0;
  /// Per directed link (a LinkId), the largest window bound over its
  /// messages.
  double linkMs = 0;
  /// The heads and tails the two bounds rest on.
  OrderStatistics statistics;
};

/// The bounds for schedules whose blocks are cut into at most `parts`
/// parts. Time 0 is the start of the first F(0, m), which must run on
/// device 0 (the caller checks that chunk 0 is there); `problem` must have
/// chunks, microbatches and devices for every chunk.
SequenceBounds computeSequenceBounds(const Problem &problem, int parts);

} // namespace detail
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_LIB_SCHEDULE_SEQUENCEBOUND_H
