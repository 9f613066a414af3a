//===- EmitCBuilder.cpp - Terse construction of EmitC calls ---------------===//
//
// Literals become attributes in call_opaque's `args`, with the exact text
// the C++ should contain, so the emitter never formats a number on its own
// (it would print 10.0 as 1.000000000e+01).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "EmitCBuilder.h"

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

Attribute EmitCBuilder::i32(int64_t value) {
  return b.getI32IntegerAttr(int32_t(value));
}

std::string crosspipe::formatCppDouble(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text = ec == std::errc() ? std::string(buffer, end) : "0";
  if (text.find_first_of(".en") == std::string::npos)
    text += ".0";
  return text;
}

void EmitCBuilder::callVoid(StringRef callee, ArrayRef<CallArg> args) {
  SmallVector<Value> operands;
  SmallVector<Attribute> argAttrs;
  for (const CallArg &arg : args) {
    if (arg.value) {
      argAttrs.push_back(b.getIndexAttr(operands.size()));
      operands.push_back(arg.value);
    } else {
      argAttrs.push_back(arg.literal);
    }
  }
  createOp<emitc::CallOpaqueOp>(b, loc, TypeRange(), callee, operands,
                                b.getArrayAttr(argAttrs), ArrayAttr());
}

/// The text of a comment, one line whatever the name: quotes and
/// backslashes escaped, every byte outside printable ASCII as an octal
/// escape, so nothing ends the line or splices the next one into it.
static std::string escapeForComment(StringRef text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\\') {
      out += "\\\\";
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

void EmitCBuilder::comment(const Twine &text) {
  createOp<emitc::VerbatimOp>(b,
      loc, b.getStringAttr("// " + escapeForComment(text.str())));
}
