//===- Passes.h - Conversion passes and the compile pipeline ----*- C++ -*-===//
//
// The pass declared in dialects/ConversionPasses.td, and
// --crosspipe-compile: from an imported module to EmitC in one pipeline
// (schedule, simulate, verify, plan, verify the plan, convert).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_PASSES_H
#define CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_PASSES_H

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace crosspipe {

#define GEN_PASS_DECL
#include "crosspipe/Conversion/CrossPipeToEmitC/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "crosspipe/Conversion/CrossPipeToEmitC/Passes.h.inc"

/// The settings of --crosspipe-compile; each maps onto one pass option.
struct CompileOptions : mlir::PassPipelineOptions<CompileOptions> {
  Option<std::string> algorithm{
      *this, "algorithm",
      llvm::cl::desc("scheduling algorithm (see --crosspipe-schedule)"),
      llvm::cl::init("greedy")};
  Option<int> subBlocks{*this, "sub-blocks",
                        llvm::cl::desc("greedy: sub-blocks per block"),
                        llvm::cl::init(1)};
  Option<double> memoryRelative{
      *this, "memory-relative",
      llvm::cl::desc("override the memory budget relative to 1F1B (0: keep)"),
      llvm::cl::init(0)};
  Option<std::string> backend{*this, "backend",
                              llvm::cl::desc("nccl or emulate"),
                              llvm::cl::init("nccl")};
};

/// Adds the whole compiler to `pm`: schedule, simulate, verify the
/// schedule, build the execution plan, verify it, lower it to EmitC.
void buildCrossPipeCompilePipeline(mlir::OpPassManager &pm,
                                   const CompileOptions &options);

/// Registers --crosspipe-compile.
void registerCrossPipeCompilePipeline();

} // namespace crosspipe

#endif // CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_PASSES_H
