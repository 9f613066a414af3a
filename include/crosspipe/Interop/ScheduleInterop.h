//===- ScheduleInterop.h - Between the dialect and the scheduler -*- C++
//-*-===//
//
// Passes and translations are thin adapters: they read a pipeline and its
// schedules from IR into the MLIR-free problem model, run the algorithms of
// crosspipe/Schedule, and write the results back as ops. These functions are
// the only place that knows both representations.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_INTEROP_SCHEDULEINTEROP_H
#define CROSSPIPE_INTEROP_SCHEDULEINTEROP_H

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"
#include "crosspipe/Schedule/Simulator.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace crosspipe {

/// The dialect's placements, block and collective kinds and the model's,
/// both ways.
sched::Placement toSched(Placement placement);
Placement fromSched(sched::Placement placement);
sched::BlockKind toSched(BlockKind kind);
BlockKind fromSched(sched::BlockKind kind);
sched::CollectiveKind toSched(CollectiveKind kind);
CollectiveKind fromSched(sched::CollectiveKind kind);

/// The problem a verified pipeline describes.
mlir::FailureOr<sched::Problem> buildProblem(PipelineOp pipeline);

/// Writes a problem's memory budget (per-device limits, and the factor when
/// it was given relative to 1F1B) into its pipeline op, so that later passes
/// check against the budget a pass chose.
void writeMemoryBudget(PipelineOp pipeline, const sched::Problem &problem);

/// A schedule read from IR, with the op of every block (parallel to
/// `schedule.order`) so diagnostics can point at it.
struct ScheduleFromIR {
  sched::Schedule schedule;
  std::vector<std::vector<ComputeOp>> ops;
};

/// Reads the programs of a schedule op; devices without a program get an
/// empty order.
mlir::FailureOr<ScheduleFromIR> readSchedule(ScheduleOp op,
                                             const sched::Problem &problem);

/// Sets the problem's gradient buckets and ZeRO-1 flag from the collectives
/// a schedule carries (placed by --crosspipe-dp-overlap), so that simulating
/// the schedule times the collectives it actually holds. Leaves the problem
/// unchanged for a schedule without bucketed or ZeRO-1 collectives.
void applyDpCollectives(ScheduleOp op, sched::Problem &problem);

/// The pipeline a schedule refers to (null if it does not resolve).
PipelineOp getSchedulePipeline(ScheduleOp op);

/// Appends a cluster (named `<name>_net`) and a pipeline (named `<name>`) for
/// `problem` to `module`. `file` names the source for op locations built from
/// the problem's SourceLocs.
PipelineOp emitProblem(mlir::ModuleOp module, const sched::Problem &problem,
                       llvm::StringRef file);

/// Creates a schedule op named `name` for `pipeline` right after it.
ScheduleOp emitSchedule(PipelineOp pipeline, const sched::Schedule &schedule,
                        llvm::StringRef name);

/// Writes simulated times into a schedule op: block spans, transfers,
/// all-reduces, per-device bubble and peak memory, makespan and lower bound.
/// Replaces earlier annotations.
void annotateSchedule(ScheduleOp op, const ScheduleFromIR &read,
                      const sched::Problem &problem,
                      const sched::SimResult &result, double lowerBoundMs);

} // namespace crosspipe

#endif // CROSSPIPE_INTEROP_SCHEDULEINTEROP_H
