//===- EmitCBuilder.h - Terse construction of EmitC calls -------*- C++ -*-===//
//
// The lowering emits almost nothing but calls: `cudaEventRecord(ev, s)`,
// `crosspipe_check_cuda(rt, status, "device 1: F chunk 1 mb 0")`. EmitC
// spells a call with constant arguments as emitc.call_opaque plus an `args`
// array mixing operand indices and attributes; this helper hides that, and
// nests getter calls in an emitc.expression so the C++ reads as one
// statement. MLIR 19's C++ emitter cannot print arith.constant, so literals
// always travel as call arguments, never as SSA constants.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_EMITCBUILDER_H
#define CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_EMITCBUILDER_H

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/Builders.h"

namespace crosspipe {

/// One argument of a call: an SSA value or a literal printed verbatim.
struct CallArg {
  CallArg(mlir::Value value) : value(value) {}
  CallArg(mlir::Attribute literal) : literal(literal) {}
  mlir::Value value;
  mlir::Attribute literal;
};

class EmitCBuilder {
public:
  EmitCBuilder(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location getLoc() const { return loc; }

  /// `!emitc.opaque<"name">`.
  mlir::Type type(llvm::StringRef name);
  /// `!emitc.ptr<!emitc.opaque<"name">>`.
  mlir::Type pointer(llvm::StringRef name);
  /// A literal written as-is (`CROSSPIPE_COMPUTE`, `'F'`).
  mlir::Attribute lit(llvm::StringRef text);
  /// A C string literal, escaped.
  mlir::Attribute str(llvm::StringRef text);
  mlir::Attribute i32(int64_t value);
  /// A double, printed so that it reads back exactly.
  mlir::Attribute f64(double value);
  mlir::Attribute size(uint64_t value);

  /// `callee(args...)`, returning `result` (null type: void).
  mlir::Value call(llvm::StringRef callee, mlir::Type result,
                   llvm::ArrayRef<CallArg> args);
  void callVoid(llvm::StringRef callee, llvm::ArrayRef<CallArg> args) {
    call(callee, mlir::Type(), args);
  }
  /// A call whose value arguments are themselves built by `body` inside an
  /// emitc.expression, so getters inline: `f(g(rt, 3), s)`.
  mlir::Value nested(mlir::Type result,
                     llvm::function_ref<mlir::Value(EmitCBuilder &)> body);
  /// A `// text` line in the generated code.
  void comment(const llvm::Twine &text);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  /// The outermost emitc.expression being built, if any.
  mlir::Operation *expression = nullptr;
};

} // namespace crosspipe

#endif // CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_EMITCBUILDER_H
