//===- ImportTestUtil.h - Documents and text helpers for Import tests -----===//
//
// The tests describe expected error positions by searching the input text
// for the offending token, independently of the reader's position pass, and
// build invalid inputs by textual edits of one valid document (the README's
// contract example) so that line numbers stay known.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_FORMAT_IMPORTTESTUTIL_H
#define CROSSPIPE_UNITTESTS_FORMAT_IMPORTTESTUTIL_H

#include "crosspipe/Format/ProblemJson.h"

#include "gtest/gtest.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace crosspipe {
namespace test {

inline std::string readExample(const std::string &name) {
  std::ifstream in(std::string(CROSSPIPE_EXAMPLES_DIR) + "/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open example " << name;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Line of the first stage in contractDoc(); stage i is on line 12 + i.
constexpr int kFirstStageLine = 12;

/// The README's contract example (8 devices in 2 datacenters) with
/// `numStages` identical stages, one per line.
inline std::string contractDoc(int numStages = 8) {
  std::string text = R"({
  "name": "m70-2dc",
  "microbatches": 16,
  "datacenters": [{"name": "east", "devices": 4}, {"name": "west", "devices": 4}],
  "network": {
    "intra_dc": {"latency_ms": 0.01, "bandwidth_gbps": 200},
    "links": [{"between": ["east", "west"], "latency_ms": 20, "bandwidth_gbps": 100}]
  },
  "placement": "unidirectional",
  "split_backward": true,
  "stages": [
)";
  for (int i = 0; i < numStages; ++i)
    text += std::string("    {\"forward_ms\": 38, \"dgrad_ms\": 38, "
                        "\"wgrad_ms\": 30, \"activation_mib\": 4096, "
                        "\"message_mib\": 64, \"gradient_mib\": 2000}") +
            (i + 1 < numStages ? ",\n" : "\n");
  text += R"(  ],
  "memory": {"relative_to_1f1b": 1.0},
  "data_parallel": {"degree": 1, "span": "intra_dc"}
}
)";
  return text;
}

/// Offset of the n-th (0-based) occurrence of `needle`, or npos.
inline std::size_t findNth(const std::string &text, const std::string &needle,
                           int n) {
  std::size_t pos = text.find(needle);
  for (int i = 0; i < n && pos != std::string::npos; ++i)
    pos = text.find(needle, pos + 1);
  return pos;
}

/// Replaces the n-th occurrence of `needle`; a missing needle fails the test.
inline std::string replaceNth(std::string text, const std::string &needle,
                              const std::string &replacement, int n = 0) {
  std::size_t pos = findNth(text, needle, n);
  EXPECT_NE(pos, std::string::npos)
      << "no occurrence " << n << " of " << needle;
  if (pos != std::string::npos)
    text.replace(pos, needle.size(), replacement);
  return text;
}

/// 1-based line and column of the n-th occurrence of `needle`.
inline std::pair<int, int> where(const std::string &text,
                                 const std::string &needle, int n = 0) {
  std::size_t pos = findNth(text, needle, n);
  EXPECT_NE(pos, std::string::npos)
      << "no occurrence " << n << " of " << needle;
  if (pos == std::string::npos)
    return {0, 0};
  std::size_t lineStart = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  lineStart = (lineStart == std::string::npos || pos == 0) ? 0 : lineStart + 1;
  int line = 1;
  for (std::size_t i = 0; i < pos; ++i)
    line += text[i] == '\n';
  return {line, int(pos - lineStart) + 1};
}

inline std::pair<int, int> at(const sched::SourceLoc &loc) {
  return {loc.line, loc.column};
}
inline std::pair<int, int> at(const JsonError &error) {
  return {error.line, error.column};
}

/// Parses `text`, expecting success.
inline sched::Problem parseOk(const std::string &text) {
  ParsedProblem parsed = parseProblemJson(text);
  EXPECT_TRUE(parsed.ok) << parsed.error.line << ":" << parsed.error.column
                         << ": " << parsed.error.message;
  return parsed.problem;
}

/// Parses `text`, expecting failure with exactly `message` and `path`, at the
/// n-th occurrence of `token` in the text.
inline void expectError(const std::string &text, const std::string &message,
                        const std::string &path, const std::string &token,
                        int n = 0) {
  ParsedProblem parsed = parseProblemJson(text);
  ASSERT_FALSE(parsed.ok) << "expected: " << message;
  EXPECT_EQ(parsed.error.message, message);
  EXPECT_EQ(parsed.error.path, path);
  EXPECT_EQ(at(parsed.error), where(text, token, n)) << parsed.error.message;
}

} // namespace test
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_FORMAT_IMPORTTESTUTIL_H
