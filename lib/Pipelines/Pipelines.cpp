//===- Pipelines.cpp - The whole compiler as one pipeline -----------------===//
//
// --crosspipe-compile takes an imported module (cluster and pipeline) to
// EmitC. Each stage is a pass a lit test can also run alone; the schedule's
// verifier sits between scheduling and planning so that a schedule that
// cannot run stops the pipeline there, with its diagnostics; the plan is
// proven as data inside the last pass (the proof --crosspipe-verify-plan
// runs on IR).
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
  pm.addPass(createVerifySchedulePass());
  // The plan is built, proven and written as data: no plan IR (hundreds of
  // MB at 64 devices x 512 microbatches) and no --crosspipe-simulate, whose
  // annotations the generated file would not keep (the conversion simulates
  // the schedule itself for the makespan and lower bound it records).
  ConvertCrossPipeScheduleToEmitCPassOptions convert;
  convert.backend = options.backend;
  convert.form = options.form;
  pm.addPass(createConvertCrossPipeScheduleToEmitCPass(convert));
}

void crosspipe::registerCrossPipePipelines() {
  PassPipelineRegistration<CompileOptions>(
      "crosspipe-compile",
      "Schedule, plan, verify and lower an imported module to EmitC",
      buildCrossPipeCompilePipeline);
}
