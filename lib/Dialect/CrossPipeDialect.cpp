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

std::string crosspipe::formatNumber(double value) {
  // Shortest text that reads back to the same double, so IR round-trips.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc())
    return "nan";
  return std::string(buffer, end);
}

ParseResult crosspipe::parseNumber(AsmParser &parser, double &value) {
  // A builtin literal: parseFloat alone rejects some decimal integers (`0`)
  // and parseOptionalInteger rejects `-1.5` after consuming the minus.
  llvm::SMLoc loc = parser.getCurrentLocation();
  Attribute literal;
  if (parser.parseAttribute(literal))
    return failure();
  if (auto integer = llvm::dyn_cast<IntegerAttr>(literal)) {
    value = double(integer.getValue().getSExtValue());
    return success();
  }
  if (auto real = llvm::dyn_cast<FloatAttr>(literal)) {
    value = real.getValueAsDouble();
    return success();
  }
  return parser.emitError(loc, "expected a number");
}

namespace {
struct Unit {
  const char *name;
  double scale;
};
} // namespace

/// A number followed by one of `units`; the value is scaled to the base unit.
static ParseResult parseScaled(AsmParser &parser, ArrayRef<Unit> units,
                               StringRef what, double &result) {
  double value;
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef unit;
  if (parseNumber(parser, value) || parser.parseKeyword(&unit))
    return failure();
  for (const Unit &u : units) {
    if (unit != u.name)
      continue;
    result = value * u.scale;
    return success();
  }
  InFlightDiagnostic diag = parser.emitError(loc, "expected a ")
                            << what << " unit (";
  llvm::interleaveComma(units, diag, [&](const Unit &u) { diag << u.name; });
  return diag << "), got '" << unit << "'";
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
  double total;
  if (parseScaled(parser, units, "size", total))
    return failure();
  if (total < 0 || total > 1.8e19)
    return parser.emitError(loc, "byte size out of range");
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
