//===- Passes.h - Conversions out of the crosspipe dialect ------*- C++ -*-===//
//
// Declarations and registration of the conversions declared in Passes.td
// next to this header, and the typed values of their enum options.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_CONVERSION_PASSES_H
#define CROSSPIPE_CONVERSION_PASSES_H

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/CommandLine.h"

namespace crosspipe {

/// How a plan maps onto GPUs: one process per device talking NCCL, or one
/// GPU that plays every device and emulates the links.
enum class PlanBackend { Nccl, Emulate };
/// The choices of a backend option, with their descriptions.
llvm::cl::ValuesClass planBackendValues();

#define GEN_PASS_DECL
#include "crosspipe/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "crosspipe/Conversion/Passes.h.inc"

} // namespace crosspipe

#endif // CROSSPIPE_CONVERSION_PASSES_H
