//===- crosspipe-plugin.cpp - CrossPipe as a plugin of stock mlir-opt -----===//
//
// One shared object with both plugin entry points, so that an unmodified
// `mlir-opt` understands our IR and runs our passes:
//
//   mlir-opt --load-dialect-plugin=CrossPipePlugin.so ...
//   mlir-opt --load-pass-plugin=CrossPipePlugin.so ...
//
// The dialect entry also registers the passes (as upstream's standalone
// plugin does), so either flag alone is enough. The object holds only our
// code: MLIR is resolved from the host tool at load time (see CMakeLists.txt),
// so the process keeps a single MLIR and a single set of registries.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/Passes.h"
#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Pipelines/Pipelines.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

#include <mutex>

using namespace mlir;

// Both entry points may run in one process (both flags given): a pipeline
// registered twice is a fatal error in MLIR builds with assertions.
static void registerCrossPipePassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    crosspipe::registerCrossPipePasses();
    crosspipe::registerCrossPipeConversionPasses();
    crosspipe::registerCrossPipePipelines();
  });
}

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {
      MLIR_PLUGIN_API_VERSION, "CrossPipe", LLVM_VERSION_STRING,
      [](DialectRegistry *registry) {
        // EmitC is what --convert-crosspipe-to-emitc produces; stock
        // mlir-opt has it already, other hosts may not.
        registry->insert<crosspipe::CrossPipeDialect, emitc::EmitCDialect>();
        registerCrossPipePassesOnce();
      }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "CrossPipePasses", LLVM_VERSION_STRING,
          []() { registerCrossPipePassesOnce(); }};
}
