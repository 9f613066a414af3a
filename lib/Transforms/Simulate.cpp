//===- Simulate.cpp - Annotate schedules with their simulated timeline ----===//
//
// A thin adapter over sched::simulate: reads each schedule, simulates it,
// and writes the timeline back into the IR. Deadlocks become errors with a
// note at every block that can never start.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Transforms/Passes.h"
#include "crosspipe/Interop/SimulatedSchedule.h"

namespace crosspipe {
#define GEN_PASS_DEF_SIMULATEPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct SimulatePass : crosspipe::impl::SimulatePassBase<SimulatePass> {
  using Base::Base;

  void runOnOperation() override {
    for (ScheduleOp op : getOperation().getOps<ScheduleOp>())
      if (failed(simulateOne(op)))
        return signalPassFailure();
  }

  LogicalResult simulateOne(ScheduleOp op) {
    FailureOr<SimulatedSchedule> simulated = simulateScheduleOp(op);
    if (failed(simulated))
      return failure();
    annotateSchedule(op, simulated->read, simulated->problem,
                     simulated->result, simulated->lowerBoundMs);
    return success();
  }
};
} // namespace
