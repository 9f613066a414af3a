//===- Pipelines.h - The compiler's pass pipelines --------------*- C++ -*-===//
//
// --crosspipe-compile: from an imported module (cluster and pipeline) to
// EmitC in one pipeline (schedule, verify the schedule, then plan, prove
// and convert the plan as data), with an options struct that carries every
// option of the passes it runs, so a RUN line shows every setting.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_PIPELINES_PIPELINES_H
#define CROSSPIPE_PIPELINES_PIPELINES_H

#include "crosspipe/Conversion/Passes.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/Pass/PassOptions.h"

namespace crosspipe {

/// The settings of --crosspipe-compile; each maps onto one pass option of
/// the same name (see the passes' documentation for their meaning).
struct CompileOptions : mlir::PassPipelineOptions<CompileOptions> {
  Option<ScheduleAlgorithm> algorithm{
      *this, "algorithm", llvm::cl::desc("the scheduling algorithm"),
      llvm::cl::init(ScheduleAlgorithm::Greedy), scheduleAlgorithmValues()};
  Option<int> subBlocks{*this, "sub-blocks",
                        llvm::cl::desc("greedy: sub-blocks per block"),
                        llvm::cl::init(1)};
  Option<double> memoryRelative{
      *this, "memory-relative",
      llvm::cl::desc("override the memory budget relative to 1F1B (0: keep)"),
      llvm::cl::init(0)};
  Option<double> memoryRelativePeak{
      *this, "memory-relative-peak",
      llvm::cl::desc("override the memory budget relative to 1F1B's peak, "
                     "the same on every device (0: keep)"),
      llvm::cl::init(0)};
  Option<double> memoryLimitMiB{
      *this, "memory-limit-mib",
      llvm::cl::desc("override the memory budget in MiB per device (0: keep)"),
      llvm::cl::init(0)};
  Option<bool> memoryUnlimited{
      *this, "memory-unlimited",
      llvm::cl::desc("override the memory budget: no limit"),
      llvm::cl::init(false)};
  Option<double> timeLimit{
      *this, "time-limit",
      llvm::cl::desc("optimal: wall-clock budget in seconds"),
      llvm::cl::init(10)};
  Option<int> threads{*this, "threads",
                      llvm::cl::desc("optimal: search threads"),
                      llvm::cl::init(1)};
  Option<double> timeResolution{
      *this, "time-resolution",
      llvm::cl::desc("optimal: the model's time unit in ms (0: automatic)"),
      llvm::cl::init(0)};
  Option<PlanBackend> backend{
      *this, "backend",
      llvm::cl::desc("how the plan maps onto processes and GPUs"),
      llvm::cl::init(PlanBackend::Nccl), planBackendValues()};
  Option<PlanForm> form{*this, "form",
                        llvm::cl::desc("how the generated file spells the "
                                       "plan"),
                        llvm::cl::init(PlanForm::Auto), planFormValues()};
};

/// Adds the whole compiler to `pm`: schedule, verify the schedule, and
/// (--convert-crosspipe-schedule-to-emitc) build the execution plan as
/// data, prove it and write it as EmitC.
void buildCrossPipeCompilePipeline(mlir::OpPassManager &pm,
                                   const CompileOptions &options);

/// Registers --crosspipe-compile.
void registerCrossPipePipelines();

} // namespace crosspipe

#endif // CROSSPIPE_PIPELINES_PIPELINES_H
