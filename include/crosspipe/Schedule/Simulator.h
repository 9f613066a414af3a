//===- Simulator.h - The performance model of a schedule -------*- C++ -*-===//
//
// Event-driven timing of a schedule under the problem's cost model: a block
// starts at the later of the end of the previous block on its device and the
// arrival of its inputs; a message goes onto its link when its producer ends,
// waits (FIFO, by send time) behind earlier messages for the bandwidth part,
// and arrives a latency after its bandwidth window. DP collectives start after
// the last W (or B) of their chunk and queue on a per-device communication
// resource that does not block compute. With Problem::dpBuckets > 1 a chunk
// has one collective per gradient bucket, ready as soon as every microbatch's
// W (or B) has done that bucket's share of its work; under Problem::zero1
// they are reduce-scatters, and each chunk's parameter all-gather runs first
// on the resource (chunk order) and holds back the chunk's forwards.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_SIMULATOR_H
#define CROSSPIPE_SCHEDULE_SIMULATOR_H

#include "crosspipe/Schedule/Schedule.h"

#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

struct Interval {
  double startMs = 0;
  double endMs = 0;
};

struct TransferEvent {
  bool gradient = false; ///< false: activation (forward), true: gradient.
  int chunk = 0;         ///< Producer chunk.
  int mb = 0;
  int srcDevice = 0;
  int dstDevice = 0;
  LinkId link;
  double sendMs = 0;     ///< Producer end.
  Interval occupancy;    ///< Bandwidth window on the link.
  double arrivalMs = 0;  ///< occupancy.endMs + latency.
  /// The stage boundary the message crosses, named by its lower chunk (as
  /// the IR and traces name it): act c goes c -> c + 1, grad c comes back
  /// c + 1 -> c.
  int boundary() const { return gradient ? chunk - 1 : chunk; }
};

struct CollectiveEvent {
  int chunk = 0;
  int device = 0;
  Interval time;
  CollectiveKind kind = CollectiveKind::AllReduce;
  /// Gradient bucket (0 = the chunk's last layers); 0 for an all-gather.
  int bucket = 0;
  /// When its inputs were complete (it may wait for the resource after).
  double readyMs = 0;
};

/// A block that could never start, and the block it waits for.
struct Stall {
  int device = 0;
  Block blocked;
  Block waitsFor;
  int waitsForDevice = 0;
};

struct SimResult {
  /// False when the schedule is malformed or deadlocks; see `error`/`stalls`.
  bool ok = false;
  std::string error;
  std::vector<Stall> stalls;

  double makespanMs = 0;
  /// times[d][i] = interval of schedule.order[d][i].
  std::vector<std::vector<Interval>> times;
  std::vector<TransferEvent> transfers;
  /// One per chunk (indexed by chunk) with one bucket and no ZeRO-1;
  /// otherwise the all-gathers in chunk order, then one per chunk and bucket
  /// in (chunk, bucket) order.
  std::vector<CollectiveEvent> collectives;
  /// Per device: idle fraction of the makespan, and peak activation bytes.
  std::vector<double> bubbleRatio;
  std::vector<uint64_t> peakMemoryBytes;
};

/// When a (part of a) releasing block (W, or B when fused) that ran over
/// `time` has done the share (bucket + 1) / buckets of its whole block's
/// work, so gradient bucket `bucket` of its microbatch is complete; negative
/// when that instant falls in another part of the block. Parts run at the
/// block's rate.
double bucketDoneMs(const Block &block, const Interval &time, int bucket,
                    int buckets);

/// Simulates a schedule. Never throws; malformed input yields ok == false.
SimResult simulate(const Problem &problem, const Schedule &schedule);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_SIMULATOR_H
