//===- JsonPositions.cpp - Source positions of JSON values ----------------===//
//
// The position pass relies on how nlohmann's lexer consumes its input: one
// byte at a time through the input adapter, reading at most one byte past a
// number (which it "ungets" without touching the adapter again). At a key or
// value event the adapter has therefore consumed the whole token and at most
// one following structural byte, while everything between the previous event
// and the current token is whitespace, ',' or ':'. Skipping those from the
// previous event's offset lands exactly on the current token's first byte.
//
//===----------------------------------------------------------------------===//

#include "JsonPositions.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>
#include <unordered_set>
#include <utility>

using namespace crosspipe;
using namespace crosspipe::json_detail;
using sched::SourceLoc;

LineIndex::LineIndex(std::string_view text) : size(text.size()) {
  lineStarts.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      lineStarts.push_back(i + 1);
}

SourceLoc LineIndex::locate(std::size_t offset) const {
  // Offsets one past the end occur for "unexpected end of input".
  offset = std::min(offset, size);
  auto it = std::upper_bound(lineStarts.begin(), lineStarts.end(), offset);
  std::size_t line = std::size_t(it - lineStarts.begin());
  return SourceLoc{int(line), int(offset - lineStarts[line - 1] + 1)};
}

std::string crosspipe::json_detail::escapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

namespace {

/// A byte iterator that publishes how many bytes the parser has consumed.
/// The adapter copies iterators, so the count lives outside them.
class CountingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  CountingIterator(const char *base, const char *cur, std::size_t *consumed)
      : base(base), cur(cur), consumed(consumed) {}
  reference operator*() const { return *cur; }
  CountingIterator &operator++() {
    ++cur;
    *consumed = std::size_t(cur - base);
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator &other) const {
    return cur == other.cur;
  }
  bool operator!=(const CountingIterator &other) const {
    return cur != other.cur;
  }

private:
  const char *base;
  const char *cur;
  std::size_t *consumed;
};

} // namespace

namespace crosspipe {
namespace json_detail {

/// SAX handler recording the start of every key and value.
class PositionRecorder {
public:
  using json = nlohmann::json;

  PositionRecorder(std::string_view text, JsonPositions &out,
                   const std::size_t &consumed)
      : text(text), lines(text), out(out), consumed(consumed) {
    // The lexer skips a UTF-8 byte order mark; so must the token search.
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
      lastPos = 3;
  }

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const json::string_t &) {
    return value();
  }
  bool string(json::string_t &) { return value(); }
  bool binary(json::binary_t &) { return value(); }
  bool start_object(std::size_t) { return open(/*isArray=*/false); }
  bool start_array(std::size_t) { return open(/*isArray=*/true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &) {
    return false;
  }

  bool key(json::string_t &name) {
    SourceLoc loc = lines.locate(tokenStart());
    Frame &top = stack.back();
    std::string pointer = top.pointer + "/" + escapePointerToken(name);
    if (!top.seen.insert(name).second) {
      out.firstProblem = {prefixed(top.dotted, "duplicate key '" + name + "'"),
                          pointer, loc};
      return false;
    }
    out.keys[pointer] = loc;
    top.key = name;
    return true;
  }

private:
  struct Frame {
    bool isArray = false;
    std::size_t nextIndex = 0;
    std::string pointer;
    std::string dotted; ///< The same path as written in messages.
    std::string key;
    std::unordered_set<std::string> seen;
  };

  static std::string prefixed(const std::string &dotted, std::string what) {
    return dotted.empty() ? what : dotted + ": " + what;
  }

  std::size_t tokenStart() {
    std::size_t pos = lastPos;
    while (pos < text.size()) {
      char c = text[pos];
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' &&
          c != ':')
        break;
      ++pos;
    }
    lastPos = consumed;
    return pos;
  }

  /// Pointer and dotted path of the value the parser is about to report.
  std::pair<std::string, std::string> childPath() {
    if (stack.empty())
      return {"", ""};
    Frame &top = stack.back();
    if (top.isArray) {
      std::string index = std::to_string(top.nextIndex++);
      return {top.pointer + "/" + index, top.dotted + "[" + index + "]"};
    }
    return {top.pointer + "/" + escapePointerToken(top.key),
            top.dotted.empty() ? top.key : top.dotted + "." + top.key};
  }

  bool value() {
    std::size_t start = tokenStart();
    out.values[childPath().first] = lines.locate(start);
    return true;
  }

  bool open(bool isArray) {
    std::size_t start = tokenStart();
    if (int(stack.size()) >= JsonPositions::kMaxDepth) {
      out.firstProblem = {
          prefixed(stack.back().dotted,
                   "nesting deeper than " +
                       std::to_string(JsonPositions::kMaxDepth) + " levels"),
          stack.back().pointer, lines.locate(start)};
      return false;
    }
    auto [pointer, dotted] = childPath();
    out.values[pointer] = lines.locate(start);
    Frame frame;
    frame.isArray = isArray;
    frame.pointer = std::move(pointer);
    frame.dotted = std::move(dotted);
    stack.push_back(std::move(frame));
    return true;
  }

  bool close() {
    lastPos = consumed;
    stack.pop_back();
    return true;
  }

  std::string_view text;
  LineIndex lines;
  JsonPositions &out;
  const std::size_t &consumed;
  std::size_t lastPos = 0;
  std::vector<Frame> stack;
};

} // namespace json_detail
} // namespace crosspipe

JsonPositions::JsonPositions(std::string_view text) {
  std::size_t consumed = 0;
  PositionRecorder recorder(text, *this, consumed);
  const char *begin = text.data(), *end = text.data() + text.size();
  nlohmann::json::sax_parse(CountingIterator(begin, begin, &consumed),
                            CountingIterator(begin, end, &consumed),
                            &recorder);
}

SourceLoc JsonPositions::valueLoc(const std::string &pointer) const {
  auto it = values.find(pointer);
  return it == values.end() ? SourceLoc{} : it->second;
}

SourceLoc JsonPositions::keyLoc(const std::string &pointer) const {
  auto it = keys.find(pointer);
  return it == keys.end() ? valueLoc(pointer) : it->second;
}
