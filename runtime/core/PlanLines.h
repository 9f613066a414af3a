//===- PlanLines.h - The lines and fields of a plan file --------*- C++ -*-===//
//
// The lexical half of the plan file reader (PlanRead.cpp): the file as
// lines of blank-separated tokens, comments and blank lines skipped, and
// each field read with its range checked before it is stored (integers,
// byte counts, finite decimals, names). A failure keeps one message
// "SOURCE:LINE: error: WHAT" for the line being read. Private to runtime/.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CORE_PLANLINES_H
#define CROSSPIPE_RUNTIME_CORE_PLANLINES_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace rt {

/// Reads `data` (from `source`, for messages) line by line; the reader of
/// the plan's sections derives from it.
class PlanLines {
protected:
  PlanLines(std::string_view data, const char *source)
      : data(data), source(source ? source : "<plan>") {}

  /// A token as it may appear in a message: short, printable.
  static std::string quote(std::string_view token);

  //===--- Lines and tokens -----------------------------------------------===//

  /// The next line that is not blank or a comment, split into `tokens`;
  /// false at the end of the data.
  bool nextLine();
  /// Splits `text` at blanks into `tokens` (at most kMaxTokens; more sets
  /// `tooMany`).
  void split(std::string_view text);
  /// Sets `message` to `what` at the current line; returns false.
  bool fail(const std::string &what);
  /// The line has exactly `n` fields, else fails naming `legend`.
  bool expectFields(const char *kind, size_t n, const char *legend);

  //===--- Fields ---------------------------------------------------------===//

  /// Reads field `i` into `out` when it is in range, else fails naming
  /// `field`: an integer in [lo, hi], a byte count up to the slot limit, a
  /// finite decimal in [lo, hi], a safe name (Plan.h's rules).
  bool integer(size_t i, const char *field, int64_t lo, int64_t hi,
               int64_t &out);
  bool int32(size_t i, const char *field, int64_t lo, int64_t hi, int32_t &out);
  bool bytes(size_t i, const char *field, uint64_t &out);
  bool real(size_t i, const char *field, double lo, double hi, double &out);
  bool name(size_t i, const char *field, bool link, std::string &out);

  static constexpr size_t kMaxTokens = 16;
  std::string_view data;
  const char *source;
  size_t pos = 0, lineStartPos = 0;
  int64_t line = 0;
  std::vector<std::string_view> tokens;
  bool tooMany = false;
  std::string message;
};

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CORE_PLANLINES_H
