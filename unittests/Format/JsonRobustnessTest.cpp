//===- JsonRobustnessTest.cpp - Positions and fuzzing of the JSON reader --===//
//
// Two properties that hand-written cases cannot cover: every value and key
// of the bundled examples is located exactly (checked against the text
// itself), and no input, however mangled, makes the reader throw, crash or
// return an unlocated error. The fuzz loop is deterministic (fixed seed) and
// also checks that its mutations reach past the syntax check, so it cannot
// pass by only ever producing invalid JSON.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Format/JsonPositions.h"
#include "ImportTestUtil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace crosspipe;
using namespace crosspipe::test;
using crosspipe::json_detail::JsonPositions;
using nlohmann::json;

namespace {

const char *const kExamples[] = {"toy.json", "m8-2dc.json", "m70-2dc.json"};

std::size_t offsetOf(const std::string &text, sched::SourceLoc loc) {
  std::size_t offset = 0;
  for (int line = 1; line < loc.line; ++line)
    offset = text.find('\n', offset) + 1;
  return offset + std::size_t(loc.column - 1);
}

/// Checks the recorded position of `value` at `pointer` and of its members.
void checkPositions(const std::string &text, const JsonPositions &positions,
                    const json &value, const std::string &pointer) {
  sched::SourceLoc loc = positions.valueLoc(pointer);
  ASSERT_GE(loc.line, 1) << pointer;
  std::size_t offset = offsetOf(text, loc);
  ASSERT_LT(offset, text.size()) << pointer;
  if (value.is_object()) {
    EXPECT_EQ(text[offset], '{') << pointer;
    for (const auto &item : value.items()) {
      std::string member =
          pointer + "/" + json_detail::escapePointerToken(item.key());
      std::size_t keyOffset = offsetOf(text, positions.keyLoc(member));
      EXPECT_EQ(text.compare(keyOffset, item.key().size() + 2,
                             "\"" + item.key() + "\""),
                0)
          << member;
      checkPositions(text, positions, item.value(), member);
    }
  } else if (value.is_array()) {
    EXPECT_EQ(text[offset], '[') << pointer;
    for (std::size_t i = 0; i < value.size(); ++i)
      checkPositions(text, positions, value[i],
                     pointer + "/" + std::to_string(i));
  } else if (value.is_number()) {
    EXPECT_EQ(std::strtod(text.c_str() + offset, nullptr), value.get<double>())
        << pointer;
  } else {
    std::string literal = value.dump();
    EXPECT_EQ(text.compare(offset, literal.size(), literal), 0) << pointer;
  }
}

TEST(JsonPositions, EveryValueAndKeyOfTheExamples) {
  for (const char *name : kExamples) {
    SCOPED_TRACE(name);
    std::string text = readExample(name);
    JsonPositions positions(text);
    EXPECT_TRUE(positions.problem().message.empty());
    checkPositions(text, positions, json::parse(text), "");
  }
}

TEST(JsonPositions, SyntaxErrorsPointAtTheOffendingToken) {
  struct Case {
    const char *text;
    int column;
  } cases[] = {
      {R"({"a": 1 "b": 2})", 9},    // Unexpected string: its quote.
      {R"([1, 2 3])", 7},           // Unexpected number.
      {R"({"a": [1, 2,]})", 13},    // Unexpected ']'.
      {R"({"a": "x\"y" "b"})", 14}, // Escaped quote inside the string.
      {R"({"a": "x\\" "b"})", 13},  // Escaped backslash before the quote.
      {R"({"a": true false})", 12}, // Unexpected literal.
      {R"({"a": 12.5e3 7})", 14},   // After a number with exponent.
      {R"({"a": tru})", 10},        // Lexer error: the byte it stopped at.
      {"{\"a\":\n  1,\n  ", 3},     // End of input on line 3.
  };
  for (const Case &c : cases) {
    ParsedProblem parsed = parseProblemJson(c.text);
    ASSERT_FALSE(parsed.ok) << c.text;
    EXPECT_EQ(parsed.error.column, c.column)
        << c.text << " -> " << parsed.error.message;
    EXPECT_EQ(parsed.error.message.rfind("invalid JSON: ", 0), 0u);
  }
  EXPECT_EQ(parseProblemJson("{\"a\":\n  1,\n  ").error.line, 3);
}

/// What every outcome must satisfy; returns 0 ok, 1 syntax, 2 semantic.
int checkOutcome(const std::string &text) {
  ParsedProblem parsed;
  EXPECT_NO_THROW(parsed = parseProblemJson(text));
  int lines = 1 + int(std::count(text.begin(), text.end(), '\n'));
  if (parsed.ok) {
    const sched::Problem &p = parsed.problem;
    int devices = p.numDevices();
    EXPECT_GE(devices, 1);
    EXPECT_FALSE(p.chunks.empty());
    for (const sched::Chunk &c : p.chunks) {
      EXPECT_GE(c.device, 0);
      EXPECT_LT(c.device, devices);
      EXPECT_GE(c.loc.line, 1);
    }
    for (const sched::Datacenter &dc : p.datacenters)
      EXPECT_GE(dc.loc.line, 1);
    for (const sched::DcLink &link : p.links)
      EXPECT_GE(link.loc.line, 1);
    EXPECT_TRUE(p.memoryLimitBytes.empty() ||
                int(p.memoryLimitBytes.size()) == devices);
    return 0;
  }
  const JsonError &e = parsed.error;
  EXPECT_FALSE(e.message.empty());
  EXPECT_GE(e.line, 1) << e.message;
  EXPECT_LE(e.line, lines) << e.message;
  EXPECT_GE(e.column, 1) << e.message;
  EXPECT_TRUE(e.path.empty() || e.path[0] == '/') << e.path;
  return e.message.rfind("invalid JSON: ", 0) == 0 ? 1 : 2;
}

TEST(JsonFuzz, EveryTruncationOfTheExamplesFails) {
  for (const char *name : kExamples) {
    SCOPED_TRACE(name);
    std::string text = readExample(name);
    std::size_t closing = text.rfind('}');
    for (std::size_t n = 0; n <= closing; ++n)
      EXPECT_EQ(checkOutcome(text.substr(0, n)), 1) << "prefix " << n;
  }
}

TEST(JsonFuzz, RandomMutationsNeverCrash) {
  std::mt19937 rng(20250701);
  std::vector<std::string> texts;
  for (const char *name : kExamples)
    texts.push_back(readExample(name));
  texts.push_back(contractDoc());
  const std::string alphabet = "0123456789-.eE,:[]{}\" \n\"tfn";
  int counts[3] = {0, 0, 0};
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string text = texts[rng() % texts.size()];
    int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      std::size_t at = rng() % text.size();
      switch (rng() % 4) {
      case 0:
        text[at] = char(rng() % 256);
        break;
      case 1:
        text[at] = alphabet[rng() % alphabet.size()];
        break;
      case 2:
        text.erase(at, 1 + rng() % 8);
        break;
      default:
        text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 16));
        break;
      }
    }
    counts[checkOutcome(text)]++;
  }
  std::printf("fuzz outcomes: %d ok, %d syntax, %d semantic\n", counts[0],
              counts[1], counts[2]);
  // The mutations must exercise all three outcomes, semantic checks above all.
  EXPECT_GT(counts[0], 100);
  EXPECT_GT(counts[1], 500);
  EXPECT_GT(counts[2], 150);
}

TEST(JsonFuzz, AdversarialShapes) {
  EXPECT_EQ(checkOutcome(std::string(200000, '[') + std::string(200000, ']')),
            2);
  EXPECT_EQ(checkOutcome("{\"name\": \"" + std::string(1 << 20, 'x') + "\"}"),
            2);
  EXPECT_EQ(checkOutcome("\xEF\xBB"), 1);
  EXPECT_EQ(checkOutcome(std::string("{\"a\": \"\0\"}", 10)), 1);
  std::string longKey = "{\"" + std::string(5000, 'k') + "\": 1}";
  EXPECT_EQ(checkOutcome(longKey), 2);
  EXPECT_LT(parseProblemJson(longKey).error.message.size(), 100u);
  // 20000 stages on 8 devices, interleaved: large, and valid up to memory.
  std::string big =
      replaceNth(contractDoc(20000), "\"unidirectional\"", "\"interleaved\"");
  big =
      replaceNth(big, "\"relative_to_1f1b\": 1.0", "\"relative_to_1f1b\": 100");
  ParsedProblem parsed = parseProblemJson(big);
  ASSERT_FALSE(parsed.ok); // 2500 chunks per device exceed 100 x 8.
  EXPECT_EQ(parsed.error.path, "/memory/relative_to_1f1b");
  EXPECT_EQ(
      parsed.error.message,
      "memory.relative_to_1f1b: a factor of 100 gives device 0 a limit of "
      "3276800 MiB of activations, but one microbatch of its stages 0, 8, "
      "16, 24, 32, 40, 48, 56, ... (2500 in all) needs 10240000 MiB");
}

} // namespace
