//===- ScheduleDiagnostics.h - Reporting schedule failures ------*- C++ -*-===//
//
// Turns the simulator's failure reports (malformed schedules, deadlocks)
// into diagnostics at the ops involved; shared by the passes that simulate.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_INTEROP_SCHEDULEDIAGNOSTICS_H
#define CROSSPIPE_INTEROP_SCHEDULEDIAGNOSTICS_H

#include "crosspipe/Interop/ScheduleInterop.h"

namespace crosspipe {

/// The op of a block in a read schedule, or null.
ComputeOp findBlockOp(const ScheduleFromIR &read, int device,
                      const sched::Block &block);

/// "F chunk 3 mb 0" (with " part 1 of 2" for sub-blocks).
std::string describeBlock(const sched::Block &block);

/// Emits an error for a failed simulation: at the blocked block for a
/// deadlock (with a note at the block it waits for), else at the schedule.
mlir::LogicalResult reportSimulationFailure(ScheduleOp op,
                                            const ScheduleFromIR &read,
                                            const sched::SimResult &result);

} // namespace crosspipe

#endif // CROSSPIPE_INTEROP_SCHEDULEDIAGNOSTICS_H
