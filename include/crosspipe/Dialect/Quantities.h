//===- Quantities.h - Text form of times, sizes and bandwidths --*- C++ -*-===//
//
// A quantity is written as a number and a unit (`38 ms`, `64 MiB`,
// `100 Gbps`). These helpers are shared by the attributes' own syntax and by
// the ops' custom directives, so both spell quantities the same way.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_DIALECT_QUANTITIES_H
#define CROSSPIPE_DIALECT_QUANTITIES_H

#include "mlir/IR/OpImplementation.h"

#include <string>

namespace crosspipe {

/// Shortest decimal text that reads back to the same double.
std::string formatNumber(double value);

/// A decimal number, integer or floating point.
mlir::ParseResult parseNumber(mlir::AsmParser &parser, double &value);
mlir::ParseResult parseTimeMs(mlir::AsmParser &parser, double &ms);
void printTimeMs(llvm::raw_ostream &os, double ms);
mlir::ParseResult parseByteSize(mlir::AsmParser &parser, uint64_t &bytes);
void printByteSize(llvm::raw_ostream &os, uint64_t bytes);
mlir::ParseResult parseBandwidthGbps(mlir::AsmParser &parser, double &gbps);
void printBandwidthGbps(llvm::raw_ostream &os, double gbps);

} // namespace crosspipe

#endif // CROSSPIPE_DIALECT_QUANTITIES_H
