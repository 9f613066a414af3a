//===- EmitCBuilder.cpp - Terse construction of EmitC calls ---------------===//
//
// Literals become `#emitc.opaque` attributes in call_opaque's `args`, with
// the exact text the C++ should contain, so the emitter never has to format
// a number on its own (it would print 10.0 as 1.000000000e+01).
//
//===----------------------------------------------------------------------===//

#include "EmitCBuilder.h"

#include "crosspipe/Support/MlirCompat.h"

#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cstdio>

using namespace mlir;
using namespace crosspipe;

Type EmitCBuilder::type(StringRef name) {
  return emitc::OpaqueType::get(b.getContext(), name);
}

Type EmitCBuilder::pointer(StringRef name) {
  return emitc::PointerType::get(type(name));
}

Attribute EmitCBuilder::lit(StringRef text) {
  return emitc::OpaqueAttr::get(b.getContext(), text);
}

/// The body of a C++ string literal spelling `text` exactly: quotes and
/// backslashes escaped, every byte outside printable ASCII as a three-digit
/// octal escape (an octal escape never swallows the characters after it, a
/// hex escape would). Names come from the user's input, so nothing in them
/// may end the literal or the line.
static std::string escapeForCpp(StringRef text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\%03o", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out;
}

Attribute EmitCBuilder::str(StringRef text) {
  return lit("\"" + escapeForCpp(text) + "\"");
}

Attribute EmitCBuilder::i32(int64_t value) {
  return b.getI32IntegerAttr(int32_t(value));
}

Attribute EmitCBuilder::f64(double value) {
  // Shortest text that reads back to the same double, always with a '.' or
  // an exponent so C++ parses it as a double.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text = ec == std::errc() ? std::string(buffer, end) : "0";
  if (text.find_first_of(".en") == std::string::npos)
    text += ".0";
  return lit(text);
}

Attribute EmitCBuilder::size(uint64_t value) {
  return lit(std::to_string(value) + "u");
}

Value EmitCBuilder::call(StringRef callee, Type result,
                         ArrayRef<CallArg> args) {
  SmallVector<Value> operands;
  SmallVector<Attribute> argAttrs;
  bool literalsAsArgs = !expression;
  for (const CallArg &arg : args) {
    if (arg.value) {
      argAttrs.push_back(b.getIndexAttr(operands.size()));
      operands.push_back(arg.value);
      continue;
    }
    if (literalsAsArgs) {
      argAttrs.push_back(arg.literal);
      continue;
    }
    // Inside an expression the emitter prints `args` operands by name, which
    // nested calls do not have; pass the literal as an emitc.literal value
    // made outside the expression instead (it prints as its text).
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(expression);
    std::string text;
    if (auto integer = dyn_cast<IntegerAttr>(arg.literal))
      text = std::to_string(integer.getInt());
    else
      text = cast<emitc::OpaqueAttr>(arg.literal).getValue().str();
    operands.push_back(
        b.create<emitc::LiteralOp>(loc, type("int"), text).getResult());
  }
  bool needArgs = literalsAsArgs &&
                  llvm::any_of(args, [](const CallArg &a) { return !a.value; });
  ArrayAttr argsAttr = needArgs ? b.getArrayAttr(argAttrs) : ArrayAttr();
  TypeRange results = result ? TypeRange(result) : TypeRange();
  auto op = b.create<emitc::CallOpaqueOp>(loc, results, callee, operands,
                                          argsAttr, ArrayAttr());
  return result ? op.getResult(0) : Value();
}

Value EmitCBuilder::nested(Type result,
                           function_ref<Value(EmitCBuilder &)> body) {
  emitc::ExpressionOp expr = compat::createExpression(b, loc, result);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&expr.getRegion().front());
    Operation *outer = expression;
    if (!expression)
      expression = expr;
    Value value = body(*this);
    expression = outer;
    b.create<emitc::YieldOp>(loc, value);
  }
  compat::isolateExpression(expr);
  return expr.getResult();
}

void EmitCBuilder::comment(const Twine &text) {
  // Escaped like a literal: a newline would end the comment and a trailing
  // backslash would splice the next line of code into it.
  b.create<emitc::VerbatimOp>(
      loc, b.getStringAttr("// " + escapeForCpp(text.str())));
}
