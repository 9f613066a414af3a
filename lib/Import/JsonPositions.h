//===- JsonPositions.h - Source positions of JSON values --------*- C++ -*-===//
//
// nlohmann::json keeps no source positions, yet every diagnostic of the
// problem reader should point at a line and column. JsonPositions recovers
// them with a second, SAX-driven pass over the text: the input is fed through
// an iterator that counts consumed bytes, and at every key and value event the
// start of the current token is recorded under its JSON pointer. The same pass
// finds duplicate object keys, which nlohmann's DOM silently collapses.
// Internal to CrossPipeImport.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_IMPORT_JSONPOSITIONS_H
#define CROSSPIPE_LIB_IMPORT_JSONPOSITIONS_H

#include "crosspipe/Schedule/Problem.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crosspipe {
namespace json_detail {

/// Maps byte offsets to 1-based line and column (columns count bytes).
class LineIndex {
public:
  explicit LineIndex(std::string_view text);
  sched::SourceLoc locate(std::size_t offset) const;

private:
  std::vector<std::size_t> lineStarts;
  std::size_t size;
};

/// Escapes one JSON pointer reference token ("~" -> "~0", "/" -> "~1").
std::string escapePointerToken(std::string_view token);

class JsonPositions {
public:
  /// Documents nested deeper than this are rejected: the problem schema is
  /// four levels deep, and unbounded depth would make the per-value pointer
  /// strings quadratic in memory.
  static constexpr int kMaxDepth = 64;

  /// Scans `text`, which must already be known to be valid JSON. On a
  /// duplicate key or excessive nesting, problem() describes it.
  explicit JsonPositions(std::string_view text);

  /// Start of the value at a JSON pointer ("" is the root); {0, 0} if unknown.
  sched::SourceLoc valueLoc(const std::string &pointer) const;
  /// Start of the key naming the member at a pointer; falls back to the value.
  sched::SourceLoc keyLoc(const std::string &pointer) const;

  /// A structural problem the DOM cannot show (empty message if none); the
  /// message already names the enclosing object in dotted form.
  struct Problem {
    std::string message;
    std::string pointer;
    sched::SourceLoc loc;
  };
  const Problem &problem() const { return firstProblem; }

private:
  friend class PositionRecorder;
  std::unordered_map<std::string, sched::SourceLoc> values;
  std::unordered_map<std::string, sched::SourceLoc> keys;
  Problem firstProblem;
};

} // namespace json_detail
} // namespace crosspipe

#endif // CROSSPIPE_LIB_IMPORT_JSONPOSITIONS_H
