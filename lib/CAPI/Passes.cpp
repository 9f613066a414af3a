//===- Passes.cpp - C API of the CrossPipe passes -------------------------===//
//
// The functions of crosspipe-c/Passes.h: the per-pass ones generated from
// the ODS, and the registration of the pipelines.
//
//===----------------------------------------------------------------------===//

#include "crosspipe-c/Passes.h"

#include "crosspipe/Conversion/Passes.h"
#include "crosspipe/Pipelines/Pipelines.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/CAPI/Pass.h"

#include <mutex>

using namespace crosspipe;

extern "C" {
#include "crosspipe-c/Conversion.capi.cpp.inc"
#include "crosspipe-c/Transforms.capi.cpp.inc"
}

void mlirRegisterCrossPipePipelines(void) {
  // Registering a pipeline name twice is fatal in MLIR builds with
  // assertions; C callers should not have to track it.
  static std::once_flag once;
  std::call_once(once, [] { registerCrossPipePipelines(); });
}

void mlirRegisterAllCrossPipePasses(void) {
  mlirRegisterCrossPipePasses();
  mlirRegisterCrossPipeConversionPasses();
  mlirRegisterCrossPipePipelines();
}
