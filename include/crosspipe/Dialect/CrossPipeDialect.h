//===- CrossPipeDialect.h - The crosspipe dialect ---------------*- C++ -*-===//
//
// Declarations of the crosspipe dialect, its attributes and ops, generated
// from dialects/*.td, plus the unit-aware quantity parsers they share.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_DIALECT_CROSSPIPEDIALECT_H
#define CROSSPIPE_DIALECT_CROSSPIPEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "crosspipe/Dialect/CrossPipeDialect.h.inc"
#include "crosspipe/Dialect/CrossPipeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "crosspipe/Dialect/CrossPipeAttrs.h.inc"

namespace crosspipe {
/// The largest count or index (device, chunk, microbatch, part, slot...) an
/// op may carry: the scheduling model holds them in `int`.
inline constexpr int64_t kMaxCount = INT32_MAX;

/// Checks the values of an op's inherent attributes against what the tools
/// can hold and print back: integers at most kMaxCount, byte sizes at most
/// kMaxBytes, times, bandwidths and floats finite. Each op's own verifier
/// checks the lower bounds and relations (part < parts, ...) with messages
/// that name them.
mlir::LogicalResult verifyAttributeRanges(mlir::Operation *op);

/// Runs verifyAttributeRanges before an op's own verifier, so no verifier
/// sees a count it cannot hold (a DenseMap key, an `int`).
template <typename ConcreteType>
class RangeChecked
    : public mlir::OpTrait::TraitBase<ConcreteType, RangeChecked> {
public:
  static mlir::LogicalResult verifyTrait(mlir::Operation *op) {
    return verifyAttributeRanges(op);
  }
};

namespace sched {
struct Chunk;
} // namespace sched

class ClusterOp;
class DatacenterOp;
class LinkOp;
class StageOp;
class ProgramOp;
} // namespace crosspipe

#define GET_OP_CLASSES
#include "crosspipe/Dialect/CrossPipeOps.h.inc"

namespace crosspipe {
/// A plan op in words for diagnostics and generated comments: "F chunk 1 mb
/// 0 part 0/2", "send act chunk 0 mb 3 to device 1", ...
std::string describePlanOp(mlir::Operation *op);
} // namespace crosspipe

#endif // CROSSPIPE_DIALECT_CROSSPIPEDIALECT_H
