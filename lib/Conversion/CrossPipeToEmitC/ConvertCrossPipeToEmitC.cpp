//===- ConvertCrossPipeToEmitC.cpp - The plan-to-EmitC pass ---------------===//
//
// The IR path: a module that already holds a crosspipe.plan (from
// --crosspipe-execution-plan) is proven again, turned into the runtime's
// tables (tablesOfPlanOp) and written as EmitC (emitPlanModule). The
// runtime executes the actions, so no op is lowered to CUDA or NCCL calls;
// every crosspipe op is removed at the end. The typed values of the
// conversions' enum options are defined here.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"

namespace crosspipe {
#define GEN_PASS_DEF_CONVERTCROSSPIPETOEMITCPASS
#include "crosspipe/Conversion/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct ConvertCrossPipeToEmitCPass
    : crosspipe::impl::ConvertCrossPipeToEmitCPassBase<
          ConvertCrossPipeToEmitCPass> {
  using Base::Base;

  void runOnOperation() override;
  FailureOr<PlanOp> choosePlan();
  LogicalResult lower(PlanOp plan);
};
} // namespace

FailureOr<PlanOp> ConvertCrossPipeToEmitCPass::choosePlan() {
  ModuleOp module = getOperation();
  SmallVector<PlanOp> plans;
  for (PlanOp plan : module.getOps<PlanOp>())
    if (planName.empty() || plan.getSymName() == planName)
      plans.push_back(plan);
  if (plans.size() == 1)
    return plans.front();
  if (plans.empty())
    return emitError(module.getLoc())
           << (planName.empty() ? std::string("no crosspipe.plan to lower; "
                                              "run --crosspipe-execution-plan "
                                              "first")
                                : "no crosspipe.plan named '" + planName + "'");
  return emitError(module.getLoc()) << "the module has " << plans.size()
                                    << " plans; choose one with plan=NAME";
}

LogicalResult ConvertCrossPipeToEmitCPass::lower(PlanOp plan) {
  LoweredPlan lowered;
  if (failed(tablesOfPlanOp(plan, backend, lowered)))
    return failure();
  emitPlanModule(getOperation(), plan.getLoc(), lowered.tables, lowered.plan,
                 form);
  return success();
}

void ConvertCrossPipeToEmitCPass::runOnOperation() {
  FailureOr<PlanOp> plan = choosePlan();
  if (failed(plan) || failed(lower(*plan)))
    return signalPassFailure();
  eraseCrossPipeOps(getOperation());
}

llvm::cl::ValuesClass crosspipe::planBackendValues() {
  return llvm::cl::values(
      clEnumValN(PlanBackend::Nccl, "nccl",
                 "one process per device; messages are sends and receives"),
      clEnumValN(PlanBackend::Emulate, "emulate",
                 "one process plays every device; links emulated"));
}

llvm::cl::ValuesClass crosspipe::planFormValues() {
  return llvm::cl::values(
      clEnumValN(PlanForm::Auto, "auto",
                 "unrolled up to 2000 program entries, table above"),
      clEnumValN(PlanForm::Table, "table",
                 "constant tables; the runtime loops over each program"),
      clEnumValN(PlanForm::Unrolled, "unrolled",
                 "the tables plus one runtime call per action, commented"));
}
