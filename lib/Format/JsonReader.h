//===- JsonReader.h - Typed, self-diagnosing access to JSON -----*- C++ -*-===//
//
// The schema code in ProblemJson.cpp reads the document through Node, which
// pairs a nlohmann::json value with its path. Every accessor checks type and
// range and, on a mismatch, unwinds with one JsonError naming the field in
// dotted form ("stages[2].forward_ms"), its JSON pointer and its position
// from JsonPositions. Unwinding uses an exception type private to this
// library because nlohmann already requires exceptions here; it is caught in
// parseProblemJson and never crosses the API. Internal to CrossPipeFormat.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_FORMAT_JSONREADER_H
#define CROSSPIPE_LIB_FORMAT_JSONREADER_H

#include "JsonPositions.h"

#include "crosspipe/Format/ProblemJson.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace json_detail {

using json = nlohmann::json;

/// A location in the document, rendered as a JSON pointer for JsonError::path
/// and in dotted form for messages.
class JsonPath {
public:
  JsonPath child(std::string_view key) const;
  JsonPath child(std::size_t index) const;
  std::string pointer() const;
  /// "stages[2].forward_ms"; empty for the root.
  std::string dotted() const;

private:
  struct Segment {
    std::string key;
    std::size_t index = 0;
    bool isIndex = false;
  };
  std::vector<Segment> segments;
};

/// Carries the first error from the point of detection to parseProblemJson.
struct ReadFailure {
  JsonError error;
};

/// Builds errors located with the position pass.
class Diagnoser {
public:
  explicit Diagnoser(const JsonPositions &positions) : positions(positions) {}
  /// Fails at the value at `path`: "<dotted path>: <what>".
  [[noreturn]] void fail(const JsonPath &path, const std::string &what) const;
  /// Fails at the key `key` of the object at `object`; the message names
  /// the object, the JsonError path the member.
  [[noreturn]] void failAtKey(const JsonPath &object, std::string_view key,
                              const std::string &what) const;
  sched::SourceLoc valueLoc(const JsonPath &path) const;
  sched::SourceLoc keyLoc(const JsonPath &path) const;

private:
  [[noreturn]] void failAt(const JsonPath &path, sched::SourceLoc loc,
                           const std::string &what) const;
  const JsonPositions &positions;
};

/// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string>
closestName(std::string_view name,
            const std::vector<std::string_view> &candidates);

/// A short rendering of a value for messages: -3, "abc", an object, ...
std::string describe(const json &value);

/// Names (of the problem, of datacenters) become IR symbols, trace and
/// picture labels and identifiers in generated code, so they are restricted
/// to a set that needs no escaping anywhere: [A-Za-z0-9_.-], starting with a
/// letter or '_', at most this many bytes.
inline constexpr std::size_t kMaxNameLength = 128;

/// Why `name` is not a safe name (naming the offending character and its
/// byte offset), or nullopt when it is one.
std::optional<std::string> unsafeNameReason(std::string_view name);

/// Formats a double compactly (no trailing zeros, up to 10 significant
/// digits): 4096, 0.01, 7.064090947.
std::string formatNumber(double value);

/// A value and its path; all accessors fail with a located error.
class Node {
public:
  Node(const json &value, JsonPath path, const Diagnoser &diag)
      : value(&value), path(std::move(path)), diag(&diag) {}

  const json &raw() const { return *value; }
  const JsonPath &where() const { return path; }
  sched::SourceLoc loc() const { return diag->valueLoc(path); }
  [[noreturn]] void fail(const std::string &what) const {
    diag->fail(path, what);
  }

  /// Checks that this is an object whose keys are all in `allowed` (plus
  /// "comment", a string or array of strings accepted everywhere).
  void expectObject(std::initializer_list<std::string_view> allowed) const;
  std::optional<Node> get(const char *key) const;
  Node required(const char *key, std::string_view why = {}) const;
  /// Checks that this is an array with at least `minSize` elements.
  std::size_t expectArray(std::size_t minSize) const;
  Node at(std::size_t index) const;

  std::string string() const;
  /// A string that is a safe name (see kMaxNameLength); `what` names it in
  /// the message for an empty one.
  std::string name(std::string_view what = "name") const;
  bool boolean() const;
  /// A finite number in [min, max] (min exclusive when `positive`).
  double number(bool positive, double max) const;
  /// An integer in [min, max].
  int64_t integer(int64_t min, int64_t max) const;
  /// One of `choices`, with a suggestion for near misses.
  std::string oneOf(std::string_view what,
                    std::initializer_list<std::string_view> choices) const;
  /// A non-negative size in MiB (at most `maxMiB`), returned in bytes.
  uint64_t mebibytes(double maxMiB) const;

private:
  std::string typeError(std::string_view expected) const;

  const json *value;
  JsonPath path;
  const Diagnoser *diag;
};

} // namespace json_detail
} // namespace crosspipe

#endif // CROSSPIPE_LIB_FORMAT_JSONREADER_H
