//===- Simulator.h - The performance model of a schedule -------*- C++ -*-===//
//
// Event-driven timing of a schedule under the problem's cost model: a block
// starts at the later of the end of the previous block on its device and the
// arrival of its inputs; a message goes onto its link when its producer ends,
// waits (FIFO, by send time) behind earlier messages for the bandwidth part,
// and arrives a latency after its bandwidth window. DP collectives start after
// the last W (or B) of their chunk and queue on a per-device communication
// resource that does not block compute.
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
};

struct CollectiveEvent {
  int chunk = 0;
  int device = 0;
  Interval time;
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
  std::vector<CollectiveEvent> collectives;
  /// Per device: idle fraction of the makespan, and peak activation bytes.
  std::vector<double> bubbleRatio;
  std::vector<uint64_t> peakMemoryBytes;
};

/// Simulates a schedule. Never throws; malformed input yields ok == false.
SimResult simulate(const Problem &problem, const Schedule &schedule);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_SIMULATOR_H
