//===- Simulate.cpp - Annotate schedules with their simulated timeline ----===//
//
// A thin adapter over sched::simulate: reads each schedule, simulates it,
// and writes the timeline back into the IR. Deadlocks become errors with a
// note at every block that can never start.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Transforms/Passes.h"
#include "crosspipe/Transforms/ScheduleDiagnostics.h"

namespace crosspipe {
#define GEN_PASS_DEF_SIMULATE
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct SimulatePass : crosspipe::impl::SimulateBase<SimulatePass> {
  using Base::Base;

  void runOnOperation() override {
    for (ScheduleOp op : getOperation().getOps<ScheduleOp>())
      if (failed(simulateOne(op)))
        return signalPassFailure();
  }

  LogicalResult simulateOne(ScheduleOp op) {
    PipelineOp pipeline = getSchedulePipeline(op);
    if (!pipeline)
      return op.emitOpError("does not reference a pipeline");
    FailureOr<sched::Problem> problem = buildProblem(pipeline);
    if (failed(problem))
      return failure();
    applyDpCollectives(op, *problem);
    FailureOr<ScheduleFromIR> read = readSchedule(op, *problem);
    if (failed(read))
      return failure();
    sched::SimResult result = sched::simulate(*problem, read->schedule);
    if (!result.ok)
      return reportSimulationFailure(op, *read, result);
    // A bound the optimal solver proved stays: it is the problem's.
    double bound = sched::computeLowerBound(*problem).makespanMs;
    if (TimeAttr proven = op.getLowerBoundAttr())
      bound = std::max(bound, proven.getMs());
    annotateSchedule(op, *read, *problem, result, bound);
    return success();
  }
};
} // namespace
