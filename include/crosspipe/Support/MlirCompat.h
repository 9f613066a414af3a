//===- MlirCompat.h - What differs between the MLIR versions we support --===//
//
// CrossPipe builds against MLIR 19 and MLIR 22 (Debian's packages). Every
// API difference that matters is bridged here, once, so the rest of the code
// has no version checks; each shim takes MLIR 22's form and says what 19
// lacks. Drop a shim together with support for the older version.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SUPPORT_MLIRCOMPAT_H
#define CROSSPIPE_SUPPORT_MLIRCOMPAT_H

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Config/llvm-config.h"

namespace crosspipe::compat {

/// An empty emitc.expression yielding `result`, built with its region's
/// single block. Outer values may be used inside it while it is being
/// filled; isolateExpression() then makes it valid.
inline mlir::emitc::ExpressionOp
createExpression(mlir::OpBuilder &b, mlir::Location loc, mlir::Type result) {
#if LLVM_VERSION_MAJOR >= 22
  auto expr =
      mlir::emitc::ExpressionOp::create(b, loc, result, mlir::ValueRange(),
                                        /*do_not_inline=*/false);
#else
  auto expr = b.create<mlir::emitc::ExpressionOp>(loc, result,
                                                  /*do_not_inline=*/false);
#endif
  expr.getRegion().emplaceBlock();
  return expr;
}

/// MLIR 22's emitc.expression is isolated from above: the outer values its
/// body uses become its operands, seen inside as block arguments. MLIR 19's
/// uses them directly, so there is nothing to do.
inline void isolateExpression(mlir::emitc::ExpressionOp expr) {
#if LLVM_VERSION_MAJOR >= 22
  llvm::SetVector<mlir::Value> captured;
  mlir::getUsedValuesDefinedAbove(expr.getRegion(), captured);
  mlir::Block &body = expr.getRegion().front();
  expr->setOperands(captured.getArrayRef());
  for (mlir::Value value : captured) {
    mlir::BlockArgument argument =
        body.addArgument(value.getType(), value.getLoc());
    value.replaceUsesWithIf(argument, [&](mlir::OpOperand &use) {
      return expr->isProperAncestor(use.getOwner());
    });
  }
#else
  (void)expr;
#endif
}

} // namespace crosspipe::compat

#endif // CROSSPIPE_SUPPORT_MLIRCOMPAT_H
