//===- VerifyPlan.cpp - The --crosspipe-verify-plan pass: a plan runs ----===//
//
// The proof that a plan runs, as a thin adapter: it resolves the plan's
// schedule and pipeline, reads the plan, the problem and the block order
// into the MLIR-free model, runs the checks of crosspipe/Plan/PlanCheck.h
// (programs, transfers and channels, data and slot ordering by
// happens-before, reductions, deadlock freedom) and reports the first fault
// at the ops it names. What only IR can get wrong (a schedule or pipeline
// symbol that does not resolve) is checked here.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/PlanInterop.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Plan/PlanCheck.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace crosspipe {
#define GEN_PASS_DEF_VERIFYPLANPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
/// The plan and its schedule, read from IR, with the ops faults point at.
struct PlanAndSchedule {
  sched::Problem problem;
  ScheduleFromIR schedule;
  /// Devices with a program, in the order the schedule lists them.
  std::vector<int> programs;
  PlanFromIR plan;
};
} // namespace

static FailureOr<PlanAndSchedule> readPlanAndSchedule(PlanOp op) {
  auto schedule = SymbolTable::lookupNearestSymbolFrom<ScheduleOp>(
      op->getParentOp(), op.getScheduleAttr());
  if (!schedule)
    return op.emitOpError("'@")
           << op.getSchedule() << "' does not reference a schedule";
  PipelineOp pipeline = getSchedulePipeline(schedule);
  if (!pipeline)
    return schedule.emitOpError("does not reference a pipeline");
  FailureOr<sched::Problem> problem = buildProblem(pipeline);
  if (failed(problem))
    return failure();
  FailureOr<ScheduleFromIR> blocks = readSchedule(schedule, *problem);
  if (failed(blocks))
    return failure();
  FailureOr<PlanFromIR> plan = readPlan(op);
  if (failed(plan))
    return failure();
  PlanAndSchedule read{
      std::move(*problem), std::move(*blocks), {}, std::move(*plan)};
  for (ProgramOp program : schedule.getPrograms())
    read.programs.push_back(int(program.getDevice()));
  return std::move(read);
}

/// Emits a fault as the error it describes, at its action (or the plan),
/// with its notes at actions or at the schedule's blocks.
static LogicalResult report(PlanOp op, const PlanAndSchedule &read,
                            const plan::Fault &fault) {
  Operation *at =
      fault.action >= 0 ? read.plan.actionOps[fault.action] : op.getOperation();
  InFlightDiagnostic diag = at->emitOpError(fault.message);
  for (const plan::FaultNote &note : fault.notes) {
    // A note not at an action is at the block of the schedule it names.
    Location loc =
        note.action >= 0
            ? read.plan.actionOps[note.action]->getLoc()
            : ComputeOp(read.schedule.ops[note.block.device][note.block.index])
                  .getLoc();
    diag.attachNote(loc) << note.text;
  }
  return diag;
}

LogicalResult crosspipe::verifyPlan(PlanOp op) {
  FailureOr<PlanAndSchedule> read = readPlanAndSchedule(op);
  if (failed(read))
    return failure();
  plan::Fault fault =
      plan::checkPlan(read->plan.plan,
                      {read->problem, read->schedule.schedule, read->programs});
  if (!fault)
    return success();
  return report(op, *read, fault);
}

namespace {
struct VerifyPlanPass : crosspipe::impl::VerifyPlanPassBase<VerifyPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    for (PlanOp plan : getOperation().getOps<PlanOp>())
      if (failed(verifyPlan(plan)))
        return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
