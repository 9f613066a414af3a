//===- JsonReader.cpp - Typed, self-diagnosing access to JSON -------------===//
//
// Type and range checks with messages in one fixed shape: "<dotted path>:
// expected <what>, got <value>". Unknown keys are reported in document order
// (nlohmann's objects are sorted by key, so the position pass decides which
// one comes first) with a "did you mean" drawn from the allowed keys.
//
//===----------------------------------------------------------------------===//

#include "JsonReader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

using namespace crosspipe;
using namespace crosspipe::json_detail;
using sched::SourceLoc;

//===----------------------------------------------------------------------===//
// JsonPath
//===----------------------------------------------------------------------===//

JsonPath JsonPath::child(std::string_view key) const {
  JsonPath result = *this;
  result.segments.push_back(Segment{std::string(key), 0, false});
  return result;
}

JsonPath JsonPath::child(std::size_t index) const {
  JsonPath result = *this;
  result.segments.push_back(Segment{"", index, true});
  return result;
}

std::string JsonPath::pointer() const {
  std::string out;
  for (const Segment &s : segments)
    out +=
        "/" + (s.isIndex ? std::to_string(s.index) : escapePointerToken(s.key));
  return out;
}

std::string JsonPath::dotted() const {
  std::string out;
  for (const Segment &s : segments) {
    if (s.isIndex)
      out += "[" + std::to_string(s.index) + "]";
    else
      out += (out.empty() ? "" : ".") + s.key;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Diagnoser
//===----------------------------------------------------------------------===//

static std::string prefixed(const JsonPath &path, const std::string &what) {
  std::string dotted = path.dotted();
  return dotted.empty() ? what : dotted + ": " + what;
}

void Diagnoser::failAt(const JsonPath &path, SourceLoc loc,
                       const std::string &message) const {
  throw ReadFailure{JsonError{loc.line, loc.column, path.pointer(), message}};
}

void Diagnoser::fail(const JsonPath &path, const std::string &what) const {
  failAt(path, valueLoc(path), prefixed(path, what));
}

void Diagnoser::failAtKey(const JsonPath &object, std::string_view key,
                          const std::string &what) const {
  JsonPath member = object.child(key);
  failAt(member, keyLoc(member), prefixed(object, what));
}

SourceLoc Diagnoser::keyLoc(const JsonPath &path) const {
  return positions.keyLoc(path.pointer());
}

SourceLoc Diagnoser::valueLoc(const JsonPath &path) const {
  return positions.valueLoc(path.pointer());
}

//===----------------------------------------------------------------------===//
// Message helpers
//===----------------------------------------------------------------------===//

/// Optimal-string-alignment distance, case-insensitive, so that both typos
/// and swapped letters ("nmae") count as one edit.
static std::size_t editDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return char(std::tolower((unsigned char)c)); };
  std::vector<std::vector<std::size_t>> d(
      a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> crosspipe::json_detail::closestName(
    std::string_view name, const std::vector<std::string_view> &candidates) {
  // Very long names are not typos of short keys; skip the quadratic work.
  if (name.empty() || name.size() > 64)
    return std::nullopt;
  std::optional<std::string> best;
  std::size_t bestDistance = 0;
  for (std::string_view candidate : candidates) {
    std::size_t distance = editDistance(name, candidate);
    // A missing unit suffix ("latency" for "latency_ms") is a common slip.
    bool prefix =
        name.size() >= 3 && (candidate.substr(0, name.size()) == name ||
                             name.substr(0, candidate.size()) == candidate);
    bool close = distance <= std::max<std::size_t>(2, candidate.size() / 4);
    if (!close && !prefix)
      continue;
    if (prefix && !close)
      distance = candidate.size(); // Rank behind genuine near misses.
    if (!best || distance < bestDistance) {
      best = std::string(candidate);
      bestDistance = distance;
    }
  }
  return best;
}

std::string crosspipe::json_detail::describe(const json &value) {
  switch (value.type()) {
  case json::value_t::object:
    return "an object";
  case json::value_t::array:
    return "an array";
  case json::value_t::string: {
    const std::string &s = value.get_ref<const std::string &>();
    if (s.size() <= 40)
      return value.dump(-1, ' ', false, json::error_handler_t::replace);
    // Cutting may split a UTF-8 sequence; the replace handler copes.
    return json(s.substr(0, 40))
               .dump(-1, ' ', false, json::error_handler_t::replace) +
           "...";
  }
  case json::value_t::number_float: {
    double v = value.get<double>();
    if (!std::isfinite(v))
      return v < 0 ? "-inf" : "inf";
    return value.dump();
  }
  default:
    return value.dump();
  }
}

/// The code point of the UTF-8 sequence at `text[i]` (nlohmann has checked
/// that strings are valid UTF-8), and its length in bytes.
static std::pair<uint32_t, std::size_t> decodeUtf8(std::string_view text,
                                                   std::size_t i) {
  auto byte = [&](std::size_t k) {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u;
  };
  unsigned lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  uint32_t code = length == 1   ? lead
                  : length == 2 ? lead & 0x1F
                  : length == 3 ? lead & 0x0F
                                : lead & 0x07;
  for (std::size_t k = 1; k < length; ++k)
    code = (code << 6) | (byte(i + k) & 0x3F);
  return {code, length};
}

std::optional<std::string>
crosspipe::json_detail::unsafeNameReason(std::string_view name) {
  if (name.size() > kMaxNameLength)
    return "a name may be at most " + std::to_string(kMaxNameLength) +
           " bytes long, got " + std::to_string(name.size());
  for (std::size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    // Explicit ranges: <cctype> would depend on the locale.
    bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    bool later = (c >= '0' && c <= '9') || c == '.' || c == '-';
    bool allowed = letter || (i > 0 && later);
    auto [code, length] = decodeUtf8(name, i);
    if (!allowed) {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "U+%04X", unsigned(code));
      std::string shown =
          c >= 0x20 && c < 0x7f
              ? "'" + std::string(1, char(c)) + "' (" + hex + ")"
              : std::string(hex);
      return "character " + shown + " at byte " + std::to_string(i) +
             " is not allowed; a name uses letters, digits, '_', '.' and "
             "'-', and starts with a letter or '_'";
    }
    i += length;
  }
  return std::nullopt;
}

std::string crosspipe::json_detail::formatNumber(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

std::string Node::typeError(std::string_view expected) const {
  return "expected " + std::string(expected) + ", got " + describe(*value);
}

void Node::expectObject(std::initializer_list<std::string_view> allowed) const {
  if (!value->is_object())
    fail(typeError("an object"));
  std::vector<std::string_view> known(allowed);
  known.push_back("comment");
  // Report the unknown key that comes first in the file.
  const std::string *first = nullptr;
  SourceLoc firstLoc;
  for (const auto &item : value->items()) {
    if (std::find(known.begin(), known.end(), item.key()) != known.end())
      continue;
    SourceLoc loc = diag->keyLoc(path.child(item.key()));
    if (!first || std::make_pair(loc.line, loc.column) <
                      std::make_pair(firstLoc.line, firstLoc.column)) {
      first = &item.key();
      firstLoc = loc;
    }
  }
  if (first) {
    std::string what = "unknown field " + quote(*first);
    if (auto suggestion = closestName(*first, known))
      what += " (did you mean '" + *suggestion + "'?)";
    diag->failAtKey(path, *first, what);
  }
  if (auto comment = get("comment")) {
    const json &c = comment->raw();
    bool ok =
        c.is_string() ||
        (c.is_array() && std::all_of(c.begin(), c.end(), [](const json &e) {
           return e.is_string();
         }));
    if (!ok)
      comment->fail(comment->typeError("a string or an array of strings"));
  }
}

std::optional<Node> Node::get(const char *key) const {
  auto it = value->find(key);
  if (it == value->end())
    return std::nullopt;
  return Node(*it, path.child(key), *diag);
}

Node Node::required(const char *key, std::string_view why) const {
  if (auto node = get(key))
    return *node;
  std::string what = "missing required field '" + std::string(key) + "'";
  if (!why.empty())
    what += " (" + std::string(why) + ")";
  fail(what);
}

std::size_t Node::expectArray(std::size_t minSize) const {
  if (!value->is_array())
    fail(typeError("an array"));
  if (value->size() < minSize)
    fail(minSize == 1 ? std::string("expected a non-empty array")
                      : "expected at least " + std::to_string(minSize) +
                            " elements, got " + std::to_string(value->size()));
  return value->size();
}

Node Node::at(std::size_t index) const {
  return Node((*value)[index], path.child(index), *diag);
}

std::string Node::string() const {
  if (!value->is_string())
    fail(typeError("a string"));
  return value->get<std::string>();
}

std::string Node::name(std::string_view what) const {
  std::string s = string();
  if (s.empty())
    fail("expected a non-empty " + std::string(what));
  if (auto why = unsafeNameReason(s))
    fail(*why);
  return s;
}

bool Node::boolean() const {
  if (!value->is_boolean())
    fail(typeError("true or false"));
  return value->get<bool>();
}

double Node::number(bool positive, double max) const {
  std::string_view expected =
      positive ? "a positive number" : "a non-negative number";
  if (!value->is_number())
    fail(typeError(expected));
  double v = value->get<double>();
  // NaN cannot come from JSON text, but inf can (1e999), so test finiteness.
  if (std::isnan(v) || (positive ? v <= 0 : v < 0))
    fail(typeError(expected));
  if (v > max)
    fail("must be at most " + formatNumber(max) + ", got " + describe(*value));
  return v;
}

int64_t Node::integer(int64_t min, int64_t max) const {
  std::string expected = min == 1   ? "a positive integer"
                         : min == 0 ? "a non-negative integer"
                                    : "an integer >= " + std::to_string(min);
  if (!value->is_number_integer())
    fail(typeError(expected));
  if (value->is_number_unsigned()) {
    // nlohmann stores every non-negative integer as unsigned.
    uint64_t u = value->get<uint64_t>();
    if (min > 0 && u < uint64_t(min))
      fail(typeError(expected));
    if (u > uint64_t(max))
      fail("must be at most " + std::to_string(max) + ", got " +
           describe(*value));
    return int64_t(u);
  }
  int64_t v = value->get<int64_t>();
  if (v < min)
    fail(typeError(expected));
  if (v > max)
    fail("must be at most " + std::to_string(max) + ", got " +
         describe(*value));
  return v;
}

std::string Node::oneOf(std::string_view what,
                        std::initializer_list<std::string_view> choices) const {
  std::string s = string();
  std::vector<std::string_view> options(choices);
  if (std::find(options.begin(), options.end(), s) != options.end())
    return s;
  std::string message = "unknown " + std::string(what) + " " + quote(s);
  if (auto suggestion = closestName(s, options))
    message += " (did you mean '" + *suggestion + "'?)";
  message += "; expected ";
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (i)
      message += i + 1 == options.size() ? " or " : ", ";
    message += "'" + std::string(options[i]) + "'";
  }
  fail(message);
}

uint64_t Node::mebibytes(double maxMiB) const {
  double mib = number(/*positive=*/false, maxMiB);
  return uint64_t(std::llround(mib * double(sched::kMiB)));
}
