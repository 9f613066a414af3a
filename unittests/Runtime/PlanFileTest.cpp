//===- PlanFileTest.cpp - Plan files: round trip and every refusal --------===//
//
// A hand-built plan written and read back is equal to itself and writes
// the same text again. Then each way a plan file can be wrong is refused
// with one line naming the file line and what is wrong: another version,
// truncation (at a line or inside one), a changed byte (checksum), counts
// that disagree, malformed and out-of-range numbers (overflow, inf, nan,
// hex), tables out of order, limits, unsafe names, text after the end, and
// a check fault mapped back to the line of the action it names.
//
//===----------------------------------------------------------------------===//

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

using namespace crosspipe::rt::test;

namespace {

struct PlanDeleter {
  void operator()(crosspipe_plan *p) const { crosspipe_plan_free(p); }
};
using PlanPtr = std::unique_ptr<crosspipe_plan, PlanDeleter>;

PlanPtr parse(const std::string &text, std::string &error) {
  char buffer[512] = "";
  PlanPtr plan(crosspipe_plan_parse(text.data(), text.size(), "p.plan", buffer,
                                    sizeof(buffer)));
  error = buffer;
  return plan;
}

/// The error reading `text`; fails the test if the text is accepted.
std::string refusal(const std::string &text) {
  std::string error;
  PlanPtr plan = parse(text, error);
  EXPECT_FALSE(plan) << "accepted:\n" << text.substr(0, 400);
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

/// Recomputes the checksum of the end line after an edit, so that the
/// reader gets past it to the edit.
std::string rehash(std::string text) {
  size_t end = text.rfind("\nend ") + 1;
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < end; ++i) {
    hash ^= static_cast<unsigned char>(text[i]);
    hash *= 0x100000001b3ull;
  }
  size_t sum = text.rfind(' ') + 1;
  char hex[24];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, hash);
  return text.substr(0, sum) + hex + "\n";
}

/// Replaces the first line that starts with `prefix` by `line`.
std::string replaceLine(const std::string &text, const std::string &prefix,
                        const std::string &line) {
  size_t at = text.find("\n" + prefix);
  EXPECT_NE(at, std::string::npos) << prefix;
  if (at == std::string::npos)
    return text;
  size_t end = text.find('\n', at + 1);
  return text.substr(0, at + 1) + line + text.substr(end);
}

/// The 1-based line number of the first line starting with `prefix`.
int lineOf(const std::string &text, const std::string &prefix) {
  size_t at = text.find("\n" + prefix);
  int line = 2;
  for (size_t i = 0; i < at; ++i)
    line += text[i] == '\n';
  return line;
}

std::string sample() {
  PlanSpec spec;
  spec.devices = 3;
  spec.microbatches = 4;
  spec.split = true;
  spec.parts = 2;
  spec.dp = true;
  spec.dpBuckets = 2;
  TestPlan plan = buildPlan(spec);
  return writePlanText(plan.get());
}

TEST(PlanFile, RoundTripIsEqualAndCanonical) {
  for (bool split : {false, true})
    for (PlanSpec::Schedule schedule : {PlanSpec::GPipe, PlanSpec::OneFOneB}) {
      PlanSpec spec;
      spec.schedule = schedule;
      spec.split = split;
      spec.parts = split ? 2 : 1;
      spec.dp = split;
      spec.crossLatencyMs = 0.1 + 0.2; // not a short decimal
      TestPlan built = buildPlan(spec);
      built.header.makespan_ms = 1234.5678901234567;
      built.header.lower_bound_ms = 1e-300;
      const crosspipe_plan *original = built.get();
      char error[512];
      ASSERT_EQ(crosspipe_plan_check(original, error, sizeof(error)), 0)
          << error;
      std::string text = writePlanText(original);
      ASSERT_FALSE(text.empty());
      EXPECT_EQ(text.rfind("crosspipe-plan 1\n", 0), 0u);
      std::string err;
      PlanPtr read = parse(text, err);
      ASSERT_TRUE(read) << err;
      std::string difference;
      EXPECT_TRUE(samePlan(*original, *read, difference)) << difference;
      EXPECT_EQ(writePlanText(read.get()), text);
    }
}

TEST(PlanFile, ReadsFromAFile) {
  std::string text = sample();
  std::string path = ::testing::TempDir() + "/plan-file-test.plan";
  FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(f);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  char error[256] = "";
  crosspipe_plan *plan =
      crosspipe_plan_read(path.c_str(), error, sizeof(error));
  ASSERT_TRUE(plan) << error;
  EXPECT_STREQ(plan->name, "test_plan");
  crosspipe_plan_free(plan);
  std::remove(path.c_str());
  EXPECT_FALSE(crosspipe_plan_read(path.c_str(), error, sizeof(error)));
  EXPECT_NE(std::string(error).find("cannot open"), std::string::npos);
}

TEST(PlanFile, ActionsOmitTrailingZeros) {
  std::string text = sample();
  // F of chunk 0 mb 0 part 0 of 2: input 0, output 0, stash 0, part 0.
  EXPECT_NE(text.find("\nF 0 0 0 0 0 0 2\n"), std::string::npos);
  EXPECT_NE(text.find("\nWAIT "), std::string::npos);
  EXPECT_NE(text.find("\nALLREDUCE 0 1 2\n"), std::string::npos);
}

TEST(PlanFile, RefusesAnotherVersion) {
  std::string text = sample();
  std::string error = refusal("crosspipe-plan 2" + text.substr(16));
  EXPECT_NE(error.find("p.plan:1: error: plan file version '2'"),
            std::string::npos)
      << error;
  EXPECT_NE(refusal("hello\n").find("not a plan file"), std::string::npos);
  EXPECT_NE(refusal("").find("empty file"), std::string::npos);
}

TEST(PlanFile, RefusesTruncation) {
  std::string text = sample();
  // Inside a line: the writer always ends the file with a newline.
  for (size_t cut : {text.size() / 3, text.size() - 1, size_t(30)}) {
    std::string error = refusal(text.substr(0, cut));
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  }
  // At a line boundary inside a program.
  size_t at = text.find('\n', text.find("\nprogram 1 ") + 20);
  std::string error = refusal(text.substr(0, at + 1));
  EXPECT_NE(error.find("truncated: the file ends in program 1 after"),
            std::string::npos)
      << error;
  // The end line lost.
  error = refusal(text.substr(0, text.rfind("end ")));
  EXPECT_NE(error.find("without its end line"), std::string::npos) << error;
}

TEST(PlanFile, RefusesCorruption) {
  std::string text = sample();
  std::string edited = text;
  size_t at = edited.find("\nchunk 1 1 10 ");
  ASSERT_NE(at, std::string::npos);
  edited[at + 11] = '2'; // forward_ms 10 -> 20
  std::string error = refusal(edited);
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find(":" + std::to_string(lineOf(text, "end ")) + ":"),
            std::string::npos)
      << error;
  // A lost action line: the program's count disagrees.
  size_t wait = text.find("\nWAIT ");
  error =
      refusal(text.substr(0, wait) + text.substr(text.find('\n', wait + 1)));
  EXPECT_NE(error.find("program 0 holds"), std::string::npos) << error;
  // Counts on the end line.
  size_t endAt = text.rfind("\nend ") + 1;
  std::string endLine = text.substr(endAt);
  size_t third = endLine.find(' ', endLine.find(' ', 4) + 1) + 1;
  std::string counts = rehash(text.substr(0, endAt) + endLine.substr(0, third) +
                              "999" + endLine.substr(endLine.find(' ', third)));
  error = refusal(counts);
  EXPECT_NE(error.find("buffers: the end line counts 999"), std::string::npos)
      << error;
  EXPECT_NE(refusal(text + "x\n").find("text after the end line"),
            std::string::npos);
}

TEST(PlanFile, RefusesMalformedNumbers) {
  std::string text = sample();
  int line = lineOf(text, "chunk 1 ");
  struct Case {
    std::string field, message;
  } cases[] = {
      {"1x", "expected a finite decimal number, got '1x'"},
      {"1e999", "'1e999' is out of range"},
      {"inf", "expected a finite decimal number, got 'inf'"},
      {"nan", "got 'nan'"},
      {"0x10", "got '0x10'"},
      {"+5", "got '+5'"},
      {"-1", "'-1' is out of range [0, 1e+12]"},
      {"1.", "got '1.'"},
  };
  for (const Case &c : cases) {
    std::string error = refusal(
        replaceLine(text, "chunk 1 ", "chunk 1 1 " + c.field + " 20 10 10 5"));
    EXPECT_EQ(
        error.rfind("p.plan:" + std::to_string(line) + ": error: forward_ms: ",
                    0),
        0u)
        << c.field << ": " << error;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << c.field << ": " << error;
  }
  std::string error = refusal(replaceLine(
      text, "chunk 1 ", "chunk 1 99999999999999999999 10 20 10 10 5"));
  EXPECT_NE(error.find("device: '99999999999999999999' is out of range"),
            std::string::npos)
      << error;
  error = refusal(replaceLine(text, "chunk 1 ", "chunk 1 1 10 20 10"));
  EXPECT_NE(error.find("chunk line: expected 8 fields"), std::string::npos)
      << error;
  // An action field beyond int32.
  size_t at = text.find("\nF 1 ");
  std::string big = text.substr(0, at) + "\nF 1 4294967296" +
                    text.substr(text.find('\n', at + 1));
  error = refusal(big);
  EXPECT_NE(error.find("mb: '4294967296' is out of range"), std::string::npos)
      << error;
}

TEST(PlanFile, RefusesOutOfRangeAndOutOfOrder) {
  std::string text = sample();
  const std::pair<std::pair<const char *, const char *>, const char *> cases[] =
      {
          {{"chunk 1 ", "chunk 1 7 10 20 10 10 5"},
           "device: '7' is out of range [0, 2]"},
          {{"chunk 1 ", "chunk 2 1 10 20 10 10 5"},
           "chunk 2 is out of order: chunk 1 comes next"},
          {{"plan ", "plan test_plan 1f1b nccl 20000 3 4 2 0 0"},
           "devices: '20000' is out of range [1, 16384]"},
          {{"plan ", "plan test_plan 1f1b mpi 3 3 4 2 0 0"},
           "arrangement: expected nccl or emulate, got 'mpi'"},
          {{"plan ", "plan test$plan 1f1b nccl 3 3 4 2 0 0"},
           "name: 'test$plan' must be 1 to 256 bytes"},
          {{"buffer 0 ", "buffer 0 0 stash 0 70000 4194304 stash0"},
           "slots: '70000' is out of range [1, 65536]"},
          {{"buffer 0 ", "buffer 0 0 stash 0 3 2199023255552 stash0"},
           "exceeds the limit of 2^40 bytes per slot"},
          {{"buffer 0 ", "buffer 0 0 weights 0 3 1 stash0"},
           "role: expected stash, act, grad or param_grad"},
          {{"program 0 ", "program 0 67108865"},
           "count: '67108865' is out of range [0, 67108864]"},
          {{"program 1 ", "program 2 10"}, "program 2 is out of order"},
          {{"link 1 ", "chunk 0 0 10 20 10 10 5"},
           "chunk line after the link lines"},
          {{"channel 0 ", "channel 0 0 1 act 9 5 8"},
           "link: '9' is out of range [0, 3]"},
          {{"F 0 0 ", "F 0 0 0 0 0 0 2 0"}, "at most 7 fields follow the op"},
          {{"F 0 0 ", "FORWARD 0 0"}, "expected a table line"},
      };
  for (const auto &c : cases) {
    std::string error =
        refusal(replaceLine(text, c.first.first, c.first.second));
    int line = lineOf(text, c.first.first);
    EXPECT_NE(error.find(c.second), std::string::npos)
        << c.first.second << ": " << error;
    EXPECT_NE(error.find("p.plan:" + std::to_string(line) + ": error: "),
              std::string::npos)
        << c.first.second << ": " << error;
  }
  EXPECT_NE(refusal(text.substr(0, 17) + "plan a b nccl 1 1 1 1 0 0\n" +
                    text.substr(17))
                .find("a second plan line"),
            std::string::npos);
  std::string nul = text;
  nul[nul.find("stash0")] = '\0';
  EXPECT_NE(refusal(nul).find("name: "), std::string::npos);
}

TEST(PlanFile, MapsCheckFaultsToTheirLines) {
  std::string text = sample();
  // F chunk 1 mb 0 part 0 reads act slot 5 of a 2-slot buffer.
  size_t at = text.find("\nF 1 0 0 0 0 0 2");
  ASSERT_NE(at, std::string::npos);
  std::string edited = rehash(text.substr(0, at) + "\nF 1 0 5 0 0 0 2" +
                              text.substr(text.find('\n', at + 1)));
  int line = 1;
  for (size_t i = 0; i <= at; ++i)
    line += text[i] == '\n';
  std::string error = refusal(edited);
  EXPECT_NE(error.find("p.plan:" + std::to_string(line) +
                       ": error: device 1 action "),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("(F chunk 1 mb 0 part 0 of 2): slot 5 is out of "
                       "range: buffer act0_d1 has 2 slots"),
            std::string::npos)
      << error;
  // A table fault: the line of the buffer.
  error = refusal(
      rehash(replaceLine(text, "buffer 1 ", "buffer 1 0 stash 0 1 1 pgrad0")));
  EXPECT_NE(error.find("p.plan:" + std::to_string(lineOf(text, "buffer 1 ")) +
                       ": error: buffer 1: a second stash buffer of chunk 0"),
            std::string::npos)
      << error;
}

TEST(PlanFile, WriteRefusesABadPlan) {
  PlanSpec spec;
  TestPlan plan = buildPlan(spec);
  plan.bufferNames[0] = "bad name";
  FILE *out = std::tmpfile();
  ASSERT_TRUE(out);
  EXPECT_EQ(crosspipe_plan_write(plan.get(), out), -1);
  EXPECT_EQ(std::ftell(out), 0);
  std::fclose(out);
  EXPECT_EQ(crosspipe_plan_write(nullptr, stdout), -1);
}

} // namespace
