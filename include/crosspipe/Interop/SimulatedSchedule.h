//===- SimulatedSchedule.h - A schedule op and its timeline -----*- C++ -*-===//
//
// Passes and translations that read a schedule all do the same thing first:
// resolve its pipeline, build the problem (with the schedule's DP collective
// layout), read the block order and simulate it, reporting any failure at
// the ops involved. This is that step, so they cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_INTEROP_SIMULATEDSCHEDULE_H
#define CROSSPIPE_INTEROP_SIMULATEDSCHEDULE_H

#include "crosspipe/Format/ChromeTrace.h"
#include "crosspipe/Interop/ScheduleInterop.h"

#include <vector>

namespace crosspipe {

/// A schedule op read into the problem model: its pipeline's problem, with
/// the schedule's DP collective layout applied, and its block order.
struct LoadedSchedule {
  sched::Problem problem;
  ScheduleFromIR read;
};

/// Reads one schedule op; errors are reported at the ops.
mlir::FailureOr<LoadedSchedule> loadScheduleOp(ScheduleOp op);

struct SimulatedSchedule {
  ScheduleOp op;
  sched::Problem problem;
  ScheduleFromIR read;
  sched::SimResult result;
  /// The best known bound on the optimal makespan: the analytic one, or a
  /// stronger one the optimal solver proved and recorded on the op.
  double lowerBoundMs = 0;
};

/// Reads and simulates one schedule op; errors are reported at the ops.
/// A schedule whose collectives are not a whole layout (a missing bucket
/// or all-gather) is refused rather than simulated as the whole one.
mlir::FailureOr<SimulatedSchedule> simulateScheduleOp(ScheduleOp op);

/// Simulates the schedule ops under `root` in module order (only the one
/// named `only` when it is not empty). Fails at the first error, and with
/// an error naming `what` when there is no schedule to work on.
mlir::FailureOr<std::vector<SimulatedSchedule>>
simulateSchedules(mlir::Operation *root, llvm::StringRef only,
                  llvm::StringRef what);

/// The schedule of `all` (not empty) with the smallest simulated makespan,
/// the first of equals.
const SimulatedSchedule &fastest(const std::vector<SimulatedSchedule> &all);

/// The summary a trace or picture of the schedule carries.
sched::TraceSummary summarize(const SimulatedSchedule &simulated);

} // namespace crosspipe

#endif // CROSSPIPE_INTEROP_SIMULATEDSCHEDULE_H
