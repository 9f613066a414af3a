//===- PlanLines.cpp - The lines and fields of a plan file ----------------===//
//
// Splits a plan file into lines of tokens and reads each field with its
// range checked before it is stored: integers (decimal digits only, no
// '+'), byte counts, decimals as the writer prints them (no inf, nan or
// hex), and names.
//
//===----------------------------------------------------------------------===//

#include "PlanLines.h"
#include "PlanInternal.h"

#include <charconv>
#include <cmath>
#include <cstdio>

using namespace crosspipe::rt;

namespace {

bool isDigits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

/// -?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)?: what the writer prints, no
/// inf, nan, hex or leading '+'.
bool isDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-')
    ++i;
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i;
  if (i == start)
    return false;
  if (i < s.size() && s[i] == '.') {
    size_t frac = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    if (i == frac)
      return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    size_t exp = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    if (i == exp)
      return false;
  }
  return i == s.size();
}

} // namespace

std::string PlanLines::quote(std::string_view token) {
  std::string text(token.substr(0, 64));
  return printableName(text.c_str()) + (token.size() > 64 ? "..." : "");
}

bool PlanLines::nextLine() {
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string_view::npos)
      end = data.size();
    lineStartPos = pos;
    std::string_view text = data.substr(pos, end - pos);
    pos = end < data.size() ? end + 1 : end;
    ++line;
    split(text);
    if (!tokens.empty() && tokens[0][0] != '#')
      return true;
  }
  return false;
}

void PlanLines::split(std::string_view text) {
  tokens.clear();
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start) {
      if (tokens.size() == kMaxTokens) {
        tooMany = true;
        return;
      }
      tokens.push_back(text.substr(start, i - start));
    }
  }
  tooMany = false;
}

bool PlanLines::fail(const std::string &what) {
  message =
      std::string(source) + ":" + std::to_string(line) + ": error: " + what;
  return false;
}

bool PlanLines::expectFields(const char *kind, size_t n, const char *legend) {
  if (!tooMany && tokens.size() == n)
    return true;
  return fail(std::string(kind) + " line: expected " + std::to_string(n) +
              " fields (" + legend + "), got " +
              (tooMany ? "more than " + std::to_string(kMaxTokens)
                       : std::to_string(tokens.size())));
}

bool PlanLines::integer(size_t i, const char *field, int64_t lo, int64_t hi,
                        int64_t &out) {
  std::string_view t = tokens[i];
  std::string_view digits = t.size() > 0 && t[0] == '-' ? t.substr(1) : t;
  int64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (!isDigits(digits) || r.ptr != t.data() + t.size())
    return fail(std::string(field) + ": expected an integer, got " + quote(t));
  if (r.ec == std::errc::result_out_of_range || v < lo || v > hi)
    return fail(std::string(field) + ": " + quote(t) + " is out of range [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  out = v;
  return true;
}

bool PlanLines::int32(size_t i, const char *field, int64_t lo, int64_t hi,
                      int32_t &out) {
  int64_t v;
  if (!integer(i, field, lo, hi, v))
    return false;
  out = int32_t(v);
  return true;
}

bool PlanLines::bytes(size_t i, const char *field, uint64_t &out) {
  std::string_view t = tokens[i];
  uint64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (!isDigits(t) || r.ptr != t.data() + t.size())
    return fail(std::string(field) + ": expected a byte count, got " +
                quote(t));
  if (r.ec == std::errc::result_out_of_range ||
      v > CROSSPIPE_PLAN_MAX_SLOT_BYTES)
    return fail(std::string(field) + ": " + quote(t) +
                " exceeds the limit of 2^40 bytes per slot");
  out = v;
  return true;
}

bool PlanLines::real(size_t i, const char *field, double lo, double hi,
                     double &out) {
  std::string_view t = tokens[i];
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (!isDecimal(t) || r.ptr != t.data() + t.size())
    return fail(std::string(field) +
                ": expected a finite decimal number, got " + quote(t));
  if (r.ec == std::errc::result_out_of_range || !std::isfinite(v) || v < lo ||
      v > hi) {
    char range[64];
    std::snprintf(range, sizeof(range), "[%g, %g]", lo, hi);
    return fail(std::string(field) + ": " + quote(t) + " is out of range " +
                range);
  }
  out = v;
  return true;
}

bool PlanLines::name(size_t i, const char *field, bool link, std::string &out) {
  if (!isSafeName(tokens[i], link))
    return fail(std::string(field) + ": " + quote(tokens[i]) +
                " must be 1 to 256 bytes of [A-Za-z0-9_." + (link ? ">" : "") +
                "-]");
  out = std::string(tokens[i]);
  return true;
}
