//===- Create.h - Building ops the way each MLIR wants ----------*- C++ -*-===//
//
// MLIR 22 deprecates `builder.create<OpTy>(loc, ...)` for
// `OpTy::create(builder, loc, ...)`, which MLIR 19 lacks. Every op we build
// goes through createOp<OpTy>(builder, loc, ...), which uses the form the
// MLIR we build against recommends.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SUPPORT_CREATE_H
#define CROSSPIPE_SUPPORT_CREATE_H

#include "mlir/IR/Builders.h"
#include "llvm/Config/llvm-config.h"

#include <utility>

namespace crosspipe {

template <typename OpTy, typename... Args>
OpTy createOp(mlir::OpBuilder &builder, mlir::Location loc, Args &&...args) {
#if LLVM_VERSION_MAJOR >= 21
  return OpTy::create(builder, loc, std::forward<Args>(args)...);
#else
  return builder.create<OpTy>(loc, std::forward<Args>(args)...);
#endif
}

} // namespace crosspipe

#endif // CROSSPIPE_SUPPORT_CREATE_H
