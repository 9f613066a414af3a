//===- JsonPositions.cpp - Source positions of JSON values ----------------===//
//
// The position pass relies on how nlohmann's lexer consumes its input: one
// byte at a time through the input adapter, reading at most one byte past a
// number (which it "ungets" without touching the adapter again). At a key or
// value event the adapter has therefore consumed the whole token and at most
// one following structural byte, while everything between the previous event
// and the current token is whitespace, ',' or ':'. Skipping those from the
// previous event's offset lands exactly on the current token's first byte.
// Syntax errors come with the offset of the last byte read; when the parser
// (not the lexer) rejected a complete token, we step back to its first byte.
//
//===----------------------------------------------------------------------===//

#include "JsonPositions.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <tuple>
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

std::string crosspipe::json_detail::quote(std::string_view text) {
  std::size_t cut = text.size();
  if (cut > 40) {
    // Cut at a UTF-8 sequence boundary so the message stays valid UTF-8.
    cut = 40;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
  }
  // Control characters (a newline, a NUL) would break the one-line message
  // or the terminal; they are shown as \xNN.
  static const char digits[] = "0123456789abcdef";
  std::string out = "'";
  for (char ch : text.substr(0, cut)) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += ch;
    }
  }
  return out + (cut < text.size() ? "...'" : "'");
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
  bool parse_error(std::size_t position, const std::string &token,
                   const nlohmann::detail::exception &error) {
    // `position` counts the bytes read, so the last one read is at
    // position - 1 (== text.size() at the end of the input).
    std::size_t last = position ? position - 1 : 0;
    std::string what = error.what();
    std::size_t cut = what.find("parse error");
    cut = what.find(": ", cut == std::string::npos ? 0 : cut);
    if (cut == std::string::npos)
      cut = what.find("] ");
    std::string detail = cut == std::string::npos ? what : what.substr(cut + 2);
    // nlohmann quotes the whole token it was reading, which for an
    // unterminated string is the rest of the file, raw bytes included.
    std::string lastRead = "; last read: '" + token + "'";
    std::size_t at = detail.find(lastRead);
    if (at != std::string::npos)
      detail.replace(at, lastRead.size(),
                     "; last read: '" + asciiTail(token) + "'");
    JsonPositions::Problem problem;
    if (error.id == 406) {
      // A number literal that overflows a double (1e999): valid JSON, so name
      // the field it was meant for.
      auto [pointer, dotted] = childPath();
      problem = {
          prefixed(dotted, "number " + quote(token) + " is out of range"),
          pointer, lines.locate(tokenStartEndingAt(last))};
    } else {
      // "... - unexpected <token>" is the parser rejecting a complete token;
      // anything else is the lexer stopping at the offending byte.
      bool wholeToken = detail.find(" - unexpected ") != std::string::npos;
      // nlohmann's lexer takes a NUL byte for the end of the input, and
      // quotes the whole document as the token after a complete one.
      if (last < text.size() && text[last] == '\0')
        detail = "unexpected NUL byte";
      else if (endsWith(detail, "expected end of input"))
        detail = kTrailing;
      problem = {"invalid JSON: " + detail, "",
                 lines.locate(wholeToken ? tokenStartEndingAt(last) : last)};
    }
    // A syntax error outranks a duplicate key found earlier.
    out.firstProblem = std::move(problem);
    return false;
  }

  /// A document that parsed up to a NUL byte: nlohmann stopped there as if
  /// the input had ended, so whatever follows went unread.
  void checkNothingFollows() {
    std::size_t nul = text.find('\0');
    if (nul != std::string_view::npos)
      out.firstProblem = {std::string("invalid JSON: ") + kTrailing + kNul, "",
                          lines.locate(nul)};
  }

  bool key(json::string_t &name) {
    SourceLoc loc = lines.locate(tokenStart());
    Frame &top = stack.back();
    // Keep parsing after a duplicate: a later syntax error takes precedence.
    if (!top.seen.insert(name).second && out.firstProblem.message.empty())
      out.firstProblem = {prefixed(top.dotted, "duplicate key '" + name + "'"),
                          top.pointer + "/" + escapePointerToken(name), loc};
    top.key = name;
    top.keyLoc = loc;
    return true;
  }

private:
  struct Frame {
    int node = 0;
    bool isArray = false;
    std::size_t nextIndex = 0;
    std::string pointer;
    std::string dotted; ///< The same path as written in messages.
    std::string key;
    SourceLoc keyLoc;
    std::unordered_set<std::string> seen;
  };

  static bool endsWith(const std::string &text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  }

  static constexpr const char *kTrailing =
      "trailing content after the end of the JSON document";
  static constexpr const char *kNul = " (a NUL byte)";

  static std::string prefixed(const std::string &dotted, std::string what) {
    return dotted.empty() ? what : dotted + ": " + what;
  }

  /// The last bytes of `token` with anything but printable ASCII as \xNN, so
  /// that messages stay short and valid UTF-8.
  static std::string asciiTail(const std::string &token) {
    constexpr std::size_t kKept = 40;
    std::string out = token.size() > kKept ? "..." : "";
    static const char digits[] = "0123456789abcdef";
    for (std::size_t i = token.size() > kKept ? token.size() - kKept : 0;
         i < token.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(token[i]);
      if (c >= 0x20 && c < 0x7f) {
        out += char(c);
      } else {
        out += "\\x";
        out += digits[c >> 4];
        out += digits[c & 15];
      }
    }
    return out;
  }

  /// First byte of the complete token whose last byte is at `last`.
  std::size_t tokenStartEndingAt(std::size_t last) const {
    if (last >= text.size())
      return text.size();
    auto isWord = [](char c) {
      return std::isalnum((unsigned char)c) || c == '.' || c == '+' || c == '-';
    };
    std::size_t start = last;
    if (text[last] == '"') {
      // Back to the opening quote: the first quote not escaped by an odd run
      // of backslashes (the token is a valid string, so this is exact).
      while (start > 0) {
        --start;
        if (text[start] != '"')
          continue;
        std::size_t slashes = 0;
        while (slashes < start && text[start - 1 - slashes] == '\\')
          ++slashes;
        if (slashes % 2 == 0)
          break;
      }
    } else if (isWord(text[last])) {
      // Numbers and true/false/null.
      while (start > 0 && isWord(text[start - 1]))
        --start;
    }
    return start;
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

  /// Pointer and dotted path of the value the parser is about to report;
  /// built only for containers and messages, never per leaf.
  std::pair<std::string, std::string> childPath() const {
    if (stack.empty())
      return {"", ""};
    const Frame &top = stack.back();
    if (top.isArray) {
      std::string index = std::to_string(top.nextIndex);
      return {top.pointer + "/" + index, top.dotted + "[" + index + "]"};
    }
    return {top.pointer + "/" + escapePointerToken(top.key),
            top.dotted.empty() ? top.key : top.dotted + "." + top.key};
  }

  /// Adds the node of a value starting at `start` under the current frame.
  int addNode(std::size_t start) {
    int id = int(out.nodes.size());
    out.nodes.emplace_back();
    out.nodes.back().value = lines.locate(start);
    if (!stack.empty()) {
      Frame &top = stack.back();
      out.nodes[top.node].children.push_back(id);
      if (top.isArray) {
        ++top.nextIndex;
      } else {
        out.nodes[id].name = top.key;
        out.nodes[id].key = top.keyLoc;
      }
    }
    return id;
  }

  bool value() {
    addNode(tokenStart());
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
    Frame frame;
    std::tie(frame.pointer, frame.dotted) = childPath();
    frame.node = addNode(start);
    frame.isArray = isArray;
    out.nodes[frame.node].isArray = isArray;
    out.nodes[frame.node].isObject = !isArray;
    stack.push_back(std::move(frame));
    return true;
  }

  bool close() {
    lastPos = consumed;
    JsonPositions::Node &node = out.nodes[stack.back().node];
    if (node.isObject) {
      // Stable, so that with duplicate keys lookups find the first.
      std::stable_sort(
          node.children.begin(), node.children.end(),
          [&](int a, int b) { return out.nodes[a].name < out.nodes[b].name; });
    }
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
  if (nlohmann::json::sax_parse(CountingIterator(begin, begin, &consumed),
                                CountingIterator(begin, end, &consumed),
                                &recorder))
    recorder.checkNothingFollows();
}

int JsonPositions::find(const std::string &pointer) const {
  if (nodes.empty())
    return -1;
  int current = 0;
  std::size_t pos = 0;
  while (pos < pointer.size()) {
    if (pointer[pos] != '/')
      return -1;
    std::size_t next = pointer.find('/', pos + 1);
    if (next == std::string::npos)
      next = pointer.size();
    std::string token;
    for (std::size_t i = pos + 1; i < next; ++i) {
      if (pointer[i] == '~' && i + 1 < next) {
        token += pointer[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        token += pointer[i];
      }
    }
    pos = next;
    const Node &node = nodes[current];
    if (node.isArray) {
      if (token.empty() || token.size() > 9 ||
          token.find_first_not_of("0123456789") != std::string::npos)
        return -1;
      std::size_t index = std::stoul(token);
      if (index >= node.children.size())
        return -1;
      current = node.children[index];
    } else if (node.isObject) {
      auto it =
          std::lower_bound(node.children.begin(), node.children.end(), token,
                           [&](int child, const std::string &name) {
                             return nodes[child].name < name;
                           });
      if (it == node.children.end() || nodes[*it].name != token)
        return -1;
      current = *it;
    } else {
      return -1;
    }
  }
  return current;
}

SourceLoc JsonPositions::valueLoc(const std::string &pointer) const {
  int node = find(pointer);
  return node < 0 ? SourceLoc{} : nodes[node].value;
}

SourceLoc JsonPositions::keyLoc(const std::string &pointer) const {
  int node = find(pointer);
  if (node < 0)
    return SourceLoc{};
  return nodes[node].key.line ? nodes[node].key : nodes[node].value;
}
