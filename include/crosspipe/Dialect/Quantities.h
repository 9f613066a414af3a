//===- Quantities.h - Text form of times, sizes and bandwidths --*- C++ -*-===//
//
// A quantity is written as a number and a unit (`38 ms`, `64 MiB`,
// `100 Gbps`). These helpers are shared by the attributes' own syntax and by
// the ops' custom directives, so both spell quantities the same way. What
// they print always parses back to the same value: numbers are plain
// decimals (`100000 ms`) or, far from 1, decimals with an exponent
// (`1.0e20 ms`); non-finite values are refused by the parser and verifiers.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_DIALECT_QUANTITIES_H
#define CROSSPIPE_DIALECT_QUANTITIES_H

#include "mlir/IR/OpImplementation.h"

#include <cstdint>
#include <string>

namespace crosspipe {

/// The largest byte size the IR holds: the parser reads integers as int64.
inline constexpr uint64_t kMaxBytes = uint64_t(INT64_MAX);

/// Shortest decimal text that reads back to the same double through
/// parseNumber: plain for magnitudes in [1e-4, 1e16), else `1.5e20`.
/// Non-finite values give `inf`, `-inf` or `nan`, for diagnostics only.
std::string formatNumber(double value);

/// A finite decimal number, integer or floating point (`1.5e20`); `1e5`
/// (no decimal point) is refused with a hint, as MLIR lexes it as `1 e5`.
mlir::ParseResult parseNumber(mlir::AsmParser &parser, double &value);
mlir::ParseResult parseTimeMs(mlir::AsmParser &parser, double &ms);
void printTimeMs(llvm::raw_ostream &os, double ms);
mlir::ParseResult parseByteSize(mlir::AsmParser &parser, uint64_t &bytes);
void printByteSize(llvm::raw_ostream &os, uint64_t bytes);
/// printByteSize's text ("64 MiB"), for diagnostics and reports.
std::string byteSizeText(uint64_t bytes);
mlir::ParseResult parseBandwidthGbps(mlir::AsmParser &parser, double &gbps);
void printBandwidthGbps(llvm::raw_ostream &os, double gbps);

} // namespace crosspipe

#endif // CROSSPIPE_DIALECT_QUANTITIES_H
