//===- ScheduleDiagnostics.h - Reporting schedule failures ------*- C++ -*-===//
//
// Turns the simulator's failure reports (malformed schedules, deadlocks) and
// the faults of the schedule checks into diagnostics at the ops involved;
// shared by the passes that simulate or verify schedules.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_INTEROP_SCHEDULEDIAGNOSTICS_H
#define CROSSPIPE_INTEROP_SCHEDULEDIAGNOSTICS_H

#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Schedule/ScheduleCheck.h"

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

/// The times the blocks of a read schedule carry, for the time checks.
std::vector<std::vector<sched::Annotated>>
readAnnotations(const ScheduleFromIR &read);

/// The collectives of a schedule op in program order; `ops` gets the op of
/// each note.
std::vector<sched::CollectiveNote>
readCollectives(ScheduleOp op, llvm::SmallVectorImpl<CollectiveOp> &ops);

/// The transfers of a schedule op in IR order; `ops` gets the op of each
/// note.
std::vector<sched::TransferNote>
readTransfers(ScheduleOp op, llvm::SmallVectorImpl<TransferOp> &ops);

/// What the schedule op and its programs claim about the run (makespan,
/// bound, gap, optimality, each program's bubble and peak memory).
sched::ScheduleClaims readClaims(ScheduleOp op);

/// Words a fault of the schedule checks as one error at the offending op
/// (block, collective or the schedule) with a note at the related one;
/// success when there is no fault. `collectives` are the ops of the notes
/// given to sched::checkCollectives, `transfers` those of the notes given to
/// sched::checkTransfers.
mlir::LogicalResult
reportScheduleFault(ScheduleOp op, const ScheduleFromIR &read,
                    const sched::Problem &problem,
                    const sched::ScheduleFault &fault,
                    llvm::ArrayRef<CollectiveOp> collectives,
                    llvm::ArrayRef<TransferOp> transfers = {});

} // namespace crosspipe

#endif // CROSSPIPE_INTEROP_SCHEDULEDIAGNOSTICS_H
