//===- Passes.h - CrossPipe passes ------------------------------*- C++ -*-===//
//
// Declarations and registration of the passes declared in
// dialects/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_TRANSFORMS_PASSES_H
#define CROSSPIPE_TRANSFORMS_PASSES_H

#include "crosspipe/Dialect/CrossPipeDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace crosspipe {

#define GEN_PASS_DECL
#include "crosspipe/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "crosspipe/Transforms/Passes.h.inc"

} // namespace crosspipe

#endif // CROSSPIPE_TRANSFORMS_PASSES_H
