//===- JsonPositions.h - Source positions of JSON values --------*- C++ -*-===//
//
// nlohmann::json keeps no source positions, yet every diagnostic of the
// problem reader should point at a line and column. JsonPositions recovers
// them with a SAX-driven pass over the text, run before the DOM is built: the
// input is fed through an iterator that counts consumed bytes, and at every
// key and value event the start of the current token is recorded under its
// JSON pointer. The same pass locates syntax errors at the offending token and
// finds duplicate object keys, which nlohmann's DOM silently collapses.
// Internal to CrossPipeFormat.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_FORMAT_JSONPOSITIONS_H
#define CROSSPIPE_LIB_FORMAT_JSONPOSITIONS_H

#include "crosspipe/Schedule/Problem.h"

#include <cstddef>
#include <string>
#include <string_view>
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

/// A name in single quotes for messages, shortened when long, with control
/// characters as \xNN: 'north'.
std::string quote(std::string_view text);

class JsonPositions {
public:
  /// Documents nested deeper than this are rejected: the problem schema is
  /// four levels deep, and bounding the depth bounds the work per event.
  static constexpr int kMaxDepth = 64;

  /// Scans `text`. A syntax error (or out-of-range number, or content after
  /// the document, a NUL byte included), excessive nesting or a duplicate
  /// key, in that precedence, is left in problem().
  explicit JsonPositions(std::string_view text);

  /// Start of the value at a JSON pointer ("" is the root); {0, 0} if unknown.
  sched::SourceLoc valueLoc(const std::string &pointer) const;
  /// Start of the key naming the member at a pointer; falls back to the value.
  sched::SourceLoc keyLoc(const std::string &pointer) const;

  /// The first problem found (empty message if none), with the message in
  /// its final form.
  struct Problem {
    std::string message;
    std::string pointer;
    sched::SourceLoc loc;
  };
  const Problem &problem() const { return firstProblem; }

private:
  friend class PositionRecorder;

  /// The positions form a tree shaped like the document, so that no pointer
  /// strings are built per value (a 100k-stage file has ~1M values).
  struct Node {
    sched::SourceLoc value;
    sched::SourceLoc key; ///< For object members.
    std::string name;     ///< For object members.
    bool isObject = false;
    bool isArray = false;
    std::vector<int> children; ///< Objects: sorted by name once closed.
  };
  int find(const std::string &pointer) const;

  std::vector<Node> nodes; ///< nodes[0] is the root, once parsed.
  Problem firstProblem;
};

} // namespace json_detail
} // namespace crosspipe

#endif // CROSSPIPE_LIB_FORMAT_JSONPOSITIONS_H
