//===- CrossPipeOps.cpp - Custom syntax and verifiers of the ops ----------===//
//
// The custom directives that print quantities with units, and the verifiers
// that reject what cannot be right: structural checks in each op's verifier,
// checks that relate symbols (a stage's device and its cluster, a schedule's
// blocks and its pipeline) in verifySymbolUses with a note at the other op.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Dialect/Quantities.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace crosspipe;

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

static ParseResult parseTime(OpAsmParser &parser, TimeAttr &attr) {
  double ms;
  if (parseTimeMs(parser, ms))
    return failure();
  attr = TimeAttr::get(parser.getContext(), ms);
  return success();
}

static void printTime(OpAsmPrinter &printer, Operation *, TimeAttr attr) {
  printTimeMs(printer.getStream(), attr.getMs());
}

static ParseResult parseBytes(OpAsmParser &parser, BytesAttr &attr) {
  uint64_t bytes;
  if (parseByteSize(parser, bytes))
    return failure();
  attr = BytesAttr::get(parser.getContext(), bytes);
  return success();
}

static void printBytes(OpAsmPrinter &printer, Operation *, BytesAttr attr) {
  printByteSize(printer.getStream(), attr.getBytes());
}

static ParseResult parseBandwidth(OpAsmParser &parser, BandwidthAttr &attr) {
  double gbps;
  if (parseBandwidthGbps(parser, gbps))
    return failure();
  attr = BandwidthAttr::get(parser.getContext(), gbps);
  return success();
}

static void printBandwidth(OpAsmPrinter &printer, Operation *,
                           BandwidthAttr attr) {
  printBandwidthGbps(printer.getStream(), attr.getGbps());
}

static ParseResult parseOptionalMemory(OpAsmParser &parser, BytesAttr &attr) {
  if (failed(parser.parseOptionalKeyword("memory")))
    return success();
  return parseBytes(parser, attr);
}

static void printOptionalMemory(OpAsmPrinter &printer, Operation *op,
                                BytesAttr attr) {
  if (!attr)
    return;
  printer << "memory ";
  printBytes(printer, op, attr);
}

/// `S (wgrad_activation S)? (recompute (checkpoint S)?)?`: the activation,
/// what W keeps of it, and whether the backward re-creates it from what the
/// forward keeps.
static ParseResult parseActivation(OpAsmParser &parser, BytesAttr &activation,
                                   BytesAttr &wgrad, UnitAttr &recompute,
                                   BytesAttr &checkpoint) {
  if (parseBytes(parser, activation))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("wgrad_activation")) &&
      parseBytes(parser, wgrad))
    return failure();
  if (failed(parser.parseOptionalKeyword("recompute")))
    return success();
  recompute = parser.getBuilder().getUnitAttr();
  if (succeeded(parser.parseOptionalKeyword("checkpoint")))
    return parseBytes(parser, checkpoint);
  return success();
}

static void printActivation(OpAsmPrinter &printer, Operation *op,
                            BytesAttr activation, BytesAttr wgrad,
                            UnitAttr recompute, BytesAttr checkpoint) {
  printBytes(printer, op, activation);
  if (wgrad) {
    printer << " wgrad_activation ";
    printBytes(printer, op, wgrad);
  }
  if (!recompute)
    return;
  printer << " recompute";
  if (!checkpoint)
    return;
  printer << " checkpoint ";
  printBytes(printer, op, checkpoint);
}

/// `backward T` or `dgrad T wgrad T`.
static ParseResult parseBackward(OpAsmParser &parser, TimeAttr &backward,
                                 TimeAttr &dgrad, TimeAttr &wgrad) {
  if (succeeded(parser.parseOptionalKeyword("backward")))
    return parseTime(parser, backward);
  if (parser.parseKeyword("dgrad") || parseTime(parser, dgrad) ||
      parser.parseKeyword("wgrad") || parseTime(parser, wgrad))
    return failure();
  return success();
}

static void printBackward(OpAsmPrinter &printer, Operation *op,
                          TimeAttr backward, TimeAttr dgrad, TimeAttr wgrad) {
  if (backward) {
    printer << "backward ";
    printTime(printer, op, backward);
  }
  if (dgrad) {
    printer << (backward ? " " : "") << "dgrad ";
    printTime(printer, op, dgrad);
  }
  if (wgrad) {
    printer << ((backward || dgrad) ? " " : "") << "wgrad ";
    printTime(printer, op, wgrad);
  }
}

/// `[size, ...]`.
static ParseResult parseByteList(OpAsmParser &parser, ArrayAttr &list) {
  SmallVector<Attribute> values;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Square, [&]() -> ParseResult {
            BytesAttr attr;
            if (parseBytes(parser, attr))
              return failure();
            values.push_back(attr);
            return success();
          }))
    return failure();
  list = parser.getBuilder().getArrayAttr(values);
  return success();
}

static void printByteList(OpAsmPrinter &printer, Operation *op,
                          ArrayAttr list) {
  printer << "[";
  llvm::interleaveComma(list, printer, [&](Attribute attr) {
    if (auto bytes = llvm::dyn_cast<BytesAttr>(attr))
      printBytes(printer, op, bytes);
    else
      printer.printAttribute(attr);
  });
  printer << "]";
}

/// `memory [limits...]`, then where they came from: `relative_to_1f1b f`,
/// `relative_to_1f1b_peak f` or `device_memory weights [...] gradients
/// [...] optimizer [...] reserved S`; all optional.
static ParseResult parseMemory(OpAsmParser &parser, ArrayAttr &limits,
                               FloatAttr &relative, FloatAttr &relativePeak,
                               ArrayAttr &weights, ArrayAttr &gradients,
                               ArrayAttr &optimizer, BytesAttr &reserved) {
  if (failed(parser.parseOptionalKeyword("memory")))
    return success();
  if (parseByteList(parser, limits))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("relative_to_1f1b_peak"))) {
    double factor;
    if (parseNumber(parser, factor))
      return failure();
    relativePeak = parser.getBuilder().getF64FloatAttr(factor);
  } else if (succeeded(parser.parseOptionalKeyword("relative_to_1f1b"))) {
    double factor;
    if (parseNumber(parser, factor))
      return failure();
    relative = parser.getBuilder().getF64FloatAttr(factor);
  } else if (succeeded(parser.parseOptionalKeyword("device_memory"))) {
    if (parser.parseKeyword("weights") || parseByteList(parser, weights) ||
        parser.parseKeyword("gradients") || parseByteList(parser, gradients) ||
        parser.parseKeyword("optimizer") || parseByteList(parser, optimizer) ||
        parser.parseKeyword("reserved") || parseBytes(parser, reserved))
      return failure();
  }
  return success();
}

static void printMemory(OpAsmPrinter &printer, Operation *op, ArrayAttr limits,
                        FloatAttr relative, FloatAttr relativePeak,
                        ArrayAttr weights, ArrayAttr gradients,
                        ArrayAttr optimizer, BytesAttr reserved) {
  if (!limits)
    return;
  printer << "memory ";
  printByteList(printer, op, limits);
  if (relative)
    printer << " relative_to_1f1b "
            << formatNumber(relative.getValueAsDouble());
  if (relativePeak)
    printer << " relative_to_1f1b_peak "
            << formatNumber(relativePeak.getValueAsDouble());
  if (weights && gradients && optimizer && reserved) {
    printer << " device_memory weights ";
    printByteList(printer, op, weights);
    printer << " gradients ";
    printByteList(printer, op, gradients);
    printer << " optimizer ";
    printByteList(printer, op, optimizer);
    printer << " reserved ";
    printBytes(printer, op, reserved);
  }
}

/// `data_parallel N (intra_dc|cross_dc)`, omitted for one replica.
static ParseResult parseDataParallel(OpAsmParser &parser, IntegerAttr &degree,
                                     DpSpanAttr &span) {
  if (failed(parser.parseOptionalKeyword("data_parallel")))
    return success();
  int64_t value;
  StringRef spanName;
  llvm::SMLoc loc;
  if (parser.parseInteger(value) ||
      (loc = parser.getCurrentLocation(), parser.parseKeyword(&spanName)))
    return failure();
  std::optional<DpSpan> parsed = symbolizeDpSpan(spanName);
  if (!parsed)
    return parser.emitError(loc, "expected 'intra_dc' or 'cross_dc'");
  degree = parser.getBuilder().getI64IntegerAttr(value);
  span = DpSpanAttr::get(parser.getContext(), *parsed);
  return success();
}

static void printDataParallel(OpAsmPrinter &printer, Operation *,
                              IntegerAttr degree, DpSpanAttr span) {
  int64_t n = degree ? degree.getInt() : 1;
  DpSpan s = span ? span.getValue() : DpSpan::intra_dc;
  if (n == 1 && s == DpSpan::intra_dc)
    return;
  printer << "data_parallel " << n << " " << stringifyDpSpan(s);
}

/// `[start, end]`, optional.
static ParseResult parseSpan(OpAsmParser &parser, TimeAttr &start,
                             TimeAttr &end) {
  if (failed(parser.parseOptionalLSquare()))
    return success();
  if (parseTime(parser, start) || parser.parseComma() ||
      parseTime(parser, end) || parser.parseRSquare())
    return failure();
  return success();
}

static void printSpan(OpAsmPrinter &printer, Operation *op, TimeAttr start,
                      TimeAttr end) {
  if (!start || !end)
    return;
  printer << "[";
  printTime(printer, op, start);
  printer << ", ";
  printTime(printer, op, end);
  printer << "]";
}

static ParseResult parseArrival(OpAsmParser &parser, TimeAttr &arrival) {
  if (failed(parser.parseOptionalKeyword("arrives")))
    return success();
  return parseTime(parser, arrival);
}

static void printArrival(OpAsmPrinter &printer, Operation *op,
                         TimeAttr arrival) {
  if (!arrival)
    return;
  printer << "arrives ";
  printTime(printer, op, arrival);
}

#define GET_OP_CLASSES
#include "crosspipe/Dialect/CrossPipeOps.cpp.inc"
