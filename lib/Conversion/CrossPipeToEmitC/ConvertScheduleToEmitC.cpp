//===- ConvertScheduleToEmitC.cpp - A schedule to EmitC through plan data -===//
//
// The data path of --crosspipe-compile: the module's schedule is planned
// and proven as data (tablesOfSchedule) and its tables written as EmitC
// (emitPlanModule); no plan IR is ever built. Every crosspipe op is removed
// at the end.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"

namespace crosspipe {
#define GEN_PASS_DEF_CONVERTCROSSPIPESCHEDULETOEMITCPASS
#include "crosspipe/Conversion/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct ConvertCrossPipeScheduleToEmitCPass
    : crosspipe::impl::ConvertCrossPipeScheduleToEmitCPassBase<
          ConvertCrossPipeScheduleToEmitCPass> {
  using Base::Base;

  void runOnOperation() override;
  FailureOr<ScheduleOp> chooseSchedule();
};
} // namespace

FailureOr<ScheduleOp> ConvertCrossPipeScheduleToEmitCPass::chooseSchedule() {
  ModuleOp module = getOperation();
  SmallVector<ScheduleOp> schedules;
  for (ScheduleOp s : module.getOps<ScheduleOp>())
    if (scheduleName.empty() || s.getSymName() == scheduleName)
      schedules.push_back(s);
  if (schedules.size() == 1)
    return schedules.front();
  if (schedules.empty())
    return emitError(module.getLoc())
           << (scheduleName.empty()
                   ? std::string("no crosspipe.schedule to lower; run "
                                 "--crosspipe-schedule first")
                   : "no crosspipe.schedule named '" + scheduleName + "'");
  return emitError(module.getLoc())
         << "the module has " << schedules.size()
         << " schedules; choose one with schedule=NAME";
}

void ConvertCrossPipeScheduleToEmitCPass::runOnOperation() {
  FailureOr<ScheduleOp> schedule = chooseSchedule();
  if (failed(schedule))
    return signalPassFailure();
  LoweredPlan lowered;
  if (failed(tablesOfSchedule(*schedule, backend, lowered)))
    return signalPassFailure();
  emitPlanModule(getOperation(), schedule->getLoc(), lowered.tables,
                 lowered.plan, form);
  eraseCrossPipeOps(getOperation());
}
