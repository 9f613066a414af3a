//===- EmitCBuilder.h - Terse construction of EmitC calls -------*- C++ -*-===//
//
// What the lowering builds besides the tables: calls with literal
// arguments (`crosspipe_exec(rt, 1, 4)`) and `// ...` comments. EmitC spells
// a call with constant arguments as emitc.call_opaque plus an `args` array
// mixing operand indices and attributes; this helper hides that. MLIR 19's
// C++ emitter cannot print arith.constant, so literals always travel as
// call arguments, never as SSA constants.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_EMITCBUILDER_H
#define CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_EMITCBUILDER_H

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/Builders.h"

#include <string>

namespace crosspipe {

/// One argument of a call: an SSA value or a literal printed verbatim.
struct CallArg {
  CallArg(mlir::Value value) : value(value) {}
  CallArg(mlir::Attribute literal) : literal(literal) {}
  mlir::Value value;
  mlir::Attribute literal;
};

/// A double as C++ source: the shortest text that reads back to the same
/// value, always with a '.' or an exponent so it parses as a double.
std::string formatCppDouble(double value);

class EmitCBuilder {
public:
  EmitCBuilder(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}

  /// `!emitc.opaque<"name">`.
  mlir::Type type(llvm::StringRef name);
  /// `!emitc.ptr<!emitc.opaque<"name">>`.
  mlir::Type pointer(llvm::StringRef name);
  mlir::Attribute i32(int64_t value);

  /// `callee(args...);` with no result.
  void callVoid(llvm::StringRef callee, llvm::ArrayRef<CallArg> args);
  /// A `// text` line in the generated code.
  void comment(const llvm::Twine &text);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace crosspipe

#endif // CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_EMITCBUILDER_H
