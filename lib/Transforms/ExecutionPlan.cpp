//===- ExecutionPlan.cpp - The --crosspipe-execution-plan pass ------------===//
//
// Reads a schedule, simulates it, asks the plan model (crosspipe/Plan) for
// its streams, events and buffer slots, and writes the result as a
// crosspipe.plan next to the schedule (writePlan in lib/Interop). The plan
// proof is the separate
// --crosspipe-verify-plan pass (VerifyPlan.cpp).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/ExecutionPlan.h"
#include "crosspipe/Interop/PlanInterop.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace crosspipe {
#define GEN_PASS_DEF_EXECUTIONPLANPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct ExecutionPlanPass
    : ReportsOptionErrors<
          crosspipe::impl::ExecutionPlanPassBase<ExecutionPlanPass>> {
  using ReportsOptionErrors::ReportsOptionErrors;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ScheduleOp> schedules;
    for (ScheduleOp s : module.getOps<ScheduleOp>())
      if (scheduleName.empty() || s.getSymName() == scheduleName)
        schedules.push_back(s);
    if (!scheduleName.empty() && schedules.empty()) {
      emitError(module.getLoc(), "no crosspipe.schedule named '")
          << scheduleName << "' to plan";
      return signalPassFailure();
    }
    for (ScheduleOp s : schedules)
      if (failed(planOne(module, s)))
        return signalPassFailure();
  }

  LogicalResult planOne(ModuleOp module, ScheduleOp s) {
    FailureOr<LoadedSchedule> loaded = loadScheduleOp(s);
    if (failed(loaded))
      return failure();
    const sched::Problem &problem = loaded->problem;
    if (problem.dpBuckets > 1 || problem.zero1)
      return s.emitOpError("has bucketed or ZeRO-1 data-parallel collectives "
                           "(--crosspipe-dp-overlap), which crosspipe.plan IR "
                           "cannot express yet; --crosspipe-compile and "
                           "crosspipe-translate --export-plan plan them");
    sched::SimResult sim = sched::simulate(problem, loaded->read.schedule);
    if (!sim.ok)
      return s.emitOpError("cannot be planned: ")
             << sim.error << " (run --crosspipe-verify-schedule for details)";
    plan::Plan result;
    if (std::string err =
            plan::buildPlan(problem, loaded->read.schedule, sim, result);
        !err.empty())
      return s.emitOpError(err);
    std::string name = (s.getSymName() + "_plan").str();
    if (Operation *old = SymbolTable::lookupSymbolIn(module, name)) {
      // Only an earlier plan is replaced; another symbol of that name stays.
      if (!isa<PlanOp>(old)) {
        InFlightDiagnostic diag = s.emitOpError("cannot name its plan '")
                                  << name << "': a " << old->getName()
                                  << " already has that name";
        diag.attachNote(old->getLoc()) << "the other symbol";
        return diag;
      }
      old->erase();
    }
    writePlan(s, loaded->read, result, name);
    return success();
  }
};
} // namespace
