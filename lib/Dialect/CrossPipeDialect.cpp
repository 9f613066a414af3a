//===- CrossPipeDialect.cpp - Dialect and unit-aware attributes -----------===//
//
// Registers the dialect and implements the quantity attributes (time, bytes,
// bandwidth): their text form is a number and a unit, shared by the
// attributes' own syntax and by the ops' custom directives.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Dialect/Quantities.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <charconv>
#include <cmath>

using namespace mlir;
using namespace crosspipe;

#include "crosspipe/Dialect/CrossPipeDialect.cpp.inc"
#include "crosspipe/Dialect/CrossPipeEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "crosspipe/Dialect/CrossPipeAttrs.cpp.inc"

void CrossPipeDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "crosspipe/Dialect/CrossPipeOps.cpp.inc"
      >();
}

void CrossPipeDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "crosspipe/Dialect/CrossPipeAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Number formatting and unit parsing
//===----------------------------------------------------------------------===//

// Magnitudes printed in plain decimal; the rest use an exponent. Plain text
// below 1e16 is at most 16 integer digits, so it also reads back as the i64
// literal the parser turns an integer into.
static constexpr double kMinPlain = 1e-4;
static constexpr double kMaxPlain = 1e16;

std::string crosspipe::formatNumber(double value) {
  // Never printed into IR: the verifiers refuse non-finite quantities.
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  // -0 would print as `-0`, which reads back as the integer 0: print `0` so
  // print -> parse -> print is a fixed point.
  if (value == 0)
    return "0";
  // Shortest text that reads back to the same double, so IR round-trips.
  char buffer[64];
  double magnitude = std::fabs(value);
  if (magnitude >= kMinPlain && magnitude < kMaxPlain) {
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                   std::chars_format::fixed);
    return std::string(buffer, ec == std::errc() ? end : buffer);
  }
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                 std::chars_format::scientific);
  if (ec != std::errc())
    return "nan";
  // MLIR lexes `1e+06` as the integer 1 and the identifier `e`: a float
  // literal needs a decimal point before its exponent (`1.0e6`).
  auto [mantissa, exponent] = StringRef(buffer, end - buffer).split('e');
  std::string text = mantissa.str();
  if (!mantissa.contains('.'))
    text += ".0";
  text += 'e';
  if (exponent.consume_front("-"))
    text += '-';
  else
    exponent.consume_front("+");
  text += exponent.ltrim('0').str();
  return text;
}

/// A number literal; `exact` is set for an integer literal that fits an
/// int64, whose value a double may not hold exactly (byte sizes above 2^53).
static ParseResult parseLiteral(AsmParser &parser, double &value,
                                std::optional<int64_t> &exact) {
  // A builtin literal: parseFloat alone rejects some decimal integers (`0`)
  // and parseOptionalInteger rejects `-1.5` after consuming the minus.
  llvm::SMLoc loc = parser.getCurrentLocation();
  Attribute literal;
  if (parser.parseAttribute(literal))
    return failure();
  exact.reset();
  // Only untyped literals: `true` is an i1 attribute whose signed value is
  // -1, and `1.5 : f16` would be rounded.
  auto integer = llvm::dyn_cast<IntegerAttr>(literal);
  auto real = llvm::dyn_cast<FloatAttr>(literal);
  if (integer && integer.getType().isSignlessInteger(64)) {
    // A signless i64 literal from 2^63 to 2^64 - 1 comes back as a negative
    // value; whether a minus was written is the current token at `loc` (the
    // minus is a token of its own).
    bool minus = *loc.getPointer() == '-';
    const APInt &bits = integer.getValue();
    if (!minus && bits.isNegative()) {
      value = double(bits.getZExtValue());
    } else {
      exact = bits.getSExtValue();
      value = double(*exact);
    }
  } else if (real && real.getType().isF64()) {
    value = real.getValueAsDouble();
  } else {
    return parser.emitError(loc, "expected a number");
  }
  if (!std::isfinite(value))
    return parser.emitError(loc, "expected a finite number");
  return success();
}

ParseResult crosspipe::parseNumber(AsmParser &parser, double &value) {
  std::optional<int64_t> exact;
  return parseLiteral(parser, value, exact);
}

namespace {
struct Unit {
  const char *name;
  double scale;
};
} // namespace

/// Parses the unit keyword after a number and returns its index in `units`.
static FailureOr<size_t> parseUnit(AsmParser &parser, ArrayRef<Unit> units,
                                   StringRef what) {
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef unit;
  if (parser.parseKeyword(&unit))
    return failure();
  for (auto [index, u] : llvm::enumerate(units))
    if (unit == u.name)
      return index;
  // `1e5` lexes as the integer 1 and the identifier `e5`.
  if (unit.consume_front("e") || unit.consume_front("E"))
    if (llvm::all_of(unit, llvm::isDigit))
      return parser.emitError(loc, "an exponent needs a decimal point before "
                                   "it, as in 1.0e5");
  InFlightDiagnostic diag = parser.emitError(loc, "expected a ")
                            << what << " unit (";
  llvm::interleaveComma(units, diag, [&](const Unit &u) { diag << u.name; });
  return diag << "), got '" << unit << "'";
}

/// A number followed by one of `units`; the value is scaled to the base unit.
static ParseResult parseScaled(AsmParser &parser, ArrayRef<Unit> units,
                               StringRef what, double &result) {
  double value;
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parseNumber(parser, value))
    return failure();
  FailureOr<size_t> unit = parseUnit(parser, units, what);
  if (failed(unit))
    return failure();
  result = value * units[*unit].scale;
  if (!std::isfinite(result))
    return parser.emitError(loc) << what << " out of range";
  return success();
}

ParseResult crosspipe::parseTimeMs(AsmParser &parser, double &ms) {
  static const Unit units[] = {
      {"s", 1e3}, {"ms", 1.0}, {"us", 1e-3}, {"ns", 1e-6}};
  return parseScaled(parser, units, "time", ms);
}

void crosspipe::printTimeMs(llvm::raw_ostream &os, double ms) {
  os << formatNumber(ms) << " ms";
}

ParseResult crosspipe::parseByteSize(AsmParser &parser, uint64_t &bytes) {
  static const Unit units[] = {{"B", 1.0},
                               {"KiB", 1024.0},
                               {"MiB", 1024.0 * 1024},
                               {"GiB", 1024.0 * 1024 * 1024},
                               {"TiB", 1024.0 * 1024 * 1024 * 1024}};
  llvm::SMLoc loc = parser.getCurrentLocation();
  double value;
  std::optional<int64_t> exact;
  if (parseLiteral(parser, value, exact))
    return failure();
  FailureOr<size_t> unit = parseUnit(parser, units, "size");
  if (failed(unit))
    return failure();
  auto outOfRange = [&] {
    return parser.emitError(loc, "byte size out of range (0 to ")
           << kMaxBytes << " B)";
  };
  if (exact) {
    // Integers stay exact: a double holds only 53 bits.
    uint64_t scale = uint64_t(1) << (10 * *unit);
    if (*exact < 0 || uint64_t(*exact) > kMaxBytes / scale)
      return outOfRange();
    bytes = uint64_t(*exact) * scale;
    return success();
  }
  double total = value * units[*unit].scale;
  // 2^63 is exact as a double; kMaxBytes (2^63 - 1) is not.
  if (!(total >= 0 && total < 0x1p63))
    return outOfRange();
  if (total != std::floor(total))
    return parser.emitError(loc, "byte size is not a whole number of bytes");
  bytes = uint64_t(total);
  return success();
}

void crosspipe::printByteSize(llvm::raw_ostream &os, uint64_t bytes) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  uint64_t value = bytes;
  while (unit < 4 && value != 0 && value % 1024 == 0) {
    value /= 1024;
    ++unit;
  }
  os << value << " " << units[unit];
}

std::string crosspipe::byteSizeText(uint64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printByteSize(os, bytes);
  return text;
}

ParseResult crosspipe::parseBandwidthGbps(AsmParser &parser, double &gbps) {
  static const Unit units[] = {{"Mbps", 1e-3}, {"Gbps", 1.0}, {"Tbps", 1e3}};
  return parseScaled(parser, units, "bandwidth", gbps);
}

void crosspipe::printBandwidthGbps(llvm::raw_ostream &os, double gbps) {
  os << formatNumber(gbps) << " Gbps";
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

Attribute TimeAttr::parse(AsmParser &parser, Type) {
  double ms;
  if (parser.parseLess() || parseTimeMs(parser, ms) || parser.parseGreater())
    return {};
  return TimeAttr::get(parser.getContext(), ms);
}

void TimeAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printTimeMs(printer.getStream(), getMs());
  printer << ">";
}

Attribute BytesAttr::parse(AsmParser &parser, Type) {
  uint64_t bytes;
  if (parser.parseLess() || parseByteSize(parser, bytes) ||
      parser.parseGreater())
    return {};
  return BytesAttr::get(parser.getContext(), bytes);
}

void BytesAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printByteSize(printer.getStream(), getBytes());
  printer << ">";
}

Attribute BandwidthAttr::parse(AsmParser &parser, Type) {
  double gbps;
  if (parser.parseLess() || parseBandwidthGbps(parser, gbps) ||
      parser.parseGreater())
    return {};
  return BandwidthAttr::get(parser.getContext(), gbps);
}

void BandwidthAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBandwidthGbps(printer.getStream(), getGbps());
  printer << ">";
}
