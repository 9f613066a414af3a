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

/// How the generated file spells the plan: constant tables the runtime
/// loops over (`table`), the same tables plus one call per action in
/// per-device functions (`unrolled`), or `unrolled` up to
/// kUnrolledMaxEntries program entries and `table` above (`auto`).
enum class PlanForm { Auto, Table, Unrolled };
/// The choices of a form option, with their descriptions.
llvm::cl::ValuesClass planFormValues();
/// The largest plan (program entries of all devices, waits included) that
/// form=auto prints unrolled: about 250 KB of C++ that reads as the device
/// programs; above it the tables alone stay near 15 bytes per entry.
inline constexpr size_t kUnrolledMaxEntries = 2000;

#define GEN_PASS_DECL
#include "crosspipe/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "crosspipe/Conversion/Passes.h.inc"

} // namespace crosspipe

#endif // CROSSPIPE_CONVERSION_PASSES_H
