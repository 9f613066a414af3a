//===- Pipelines.cpp - The whole compiler as one pipeline -----------------===//
//
// --crosspipe-compile takes an imported module (cluster and pipeline) to
// EmitC. Each stage is a pass a lit test can also run alone; the verifiers
// sit between stages so that a schedule or plan that cannot run stops the
// pipeline at the stage that produced it, with that stage's diagnostics.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace crosspipe;

void crosspipe::buildCrossPipeCompilePipeline(OpPassManager &pm,
                                              const CompileOptions &options) {
  SchedulePassOptions schedule;
  schedule.algorithm = options.algorithm;
  schedule.subBlocks = options.subBlocks;
  schedule.memoryRelative = options.memoryRelative;
  schedule.memoryRelativePeak = options.memoryRelativePeak;
  schedule.memoryLimitMiB = options.memoryLimitMiB;
  schedule.memoryUnlimited = options.memoryUnlimited;
  schedule.timeLimit = options.timeLimit;
  schedule.threads = options.threads;
  schedule.timeResolution = options.timeResolution;
  pm.addPass(createSchedulePass(schedule));
  // Simulation annotates the makespan and lower bound that the runtime
  // prints next to the measured step.
  pm.addPass(createSimulatePass());
  pm.addPass(createVerifySchedulePass());
  pm.addPass(createExecutionPlanPass());
  pm.addPass(createVerifyPlanPass());
  ConvertCrossPipeToEmitCPassOptions convert;
  convert.backend = options.backend;
  pm.addPass(createConvertCrossPipeToEmitCPass(convert));
}

void crosspipe::registerCrossPipePipelines() {
  PassPipelineRegistration<CompileOptions>(
      "crosspipe-compile",
      "Schedule, plan, verify and lower an imported module to EmitC",
      buildCrossPipeCompilePipeline);
}
