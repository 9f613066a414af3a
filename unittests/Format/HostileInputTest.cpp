//===- HostileInputTest.cpp - Malformed and hostile outside input ---------===//
//
// The readers of outside formats (the JSON experiment description, Chrome
// traces) must refuse what would later crash, overflow or flood memory with
// one located message, and the writers (Chrome trace JSON, SVG) must emit
// well-formed output whatever strings reach them. Each test pins one hole
// that was open: trailing content after a NUL byte, contradictory backward
// times, unsafe names, sums and rates that overflow, traces whose fields
// have the wrong type or absurd values, and pictures of unbounded size.
//
//===----------------------------------------------------------------------===//

#include "ImportTestUtil.h"

#include "../Schedule/TestProblems.h"
#include "crosspipe/Format/ChromeTrace.h"
#include "crosspipe/Format/SvgTimeline.h"
#include "crosspipe/Schedule/Baselines.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace crosspipe;
using namespace crosspipe::test;
using namespace crosspipe::sched;
using nlohmann::json;

namespace {

std::string edit(const std::string &from, const std::string &to, int n = 0) {
  return replaceNth(contractDoc(), from, to, n);
}

int count(const std::string &text, const std::string &needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

//===----------------------------------------------------------------------===//
// JSON import: syntax
//===----------------------------------------------------------------------===//

TEST(HostileJson, TrailingContentAfterTheDocumentIsAnError) {
  const std::string trailing =
      "invalid JSON: trailing content after the end of the JSON document";
  // nlohmann's lexer stops at a NUL byte as at the end of the input.
  std::string text = contractDoc() + std::string("\0garbage", 8);
  ParsedProblem nul = parseProblemJson(text);
  ASSERT_FALSE(nul.ok);
  EXPECT_EQ(nul.error.message, trailing + " (a NUL byte)");
  EXPECT_EQ(at(nul.error), where(text, std::string("\0", 1)));

  std::string words = contractDoc() + "\n  more";
  ParsedProblem more = parseProblemJson(words);
  ASSERT_FALSE(more.ok);
  EXPECT_EQ(more.error.message, trailing);
  EXPECT_EQ(at(more.error), where(words, "more"));

  std::string brace = contractDoc() + "}";
  ParsedProblem extra = parseProblemJson(brace);
  ASSERT_FALSE(extra.ok);
  EXPECT_EQ(extra.error.message, trailing);
  EXPECT_EQ(at(extra.error), std::make_pair(24, 1));

  // Inside the document a NUL byte is named, not taken for the end.
  std::string inside =
      edit("\"microbatches\": 16", std::string("\"microbatches\":\0 16", 20));
  ParsedProblem cut = parseProblemJson(inside);
  ASSERT_FALSE(cut.ok);
  EXPECT_EQ(cut.error.message, "invalid JSON: unexpected NUL byte");
  EXPECT_EQ(at(cut.error), where(inside, std::string("\0", 1)));
  // Whitespace after the document is fine.
  parseOk(contractDoc() + "\n\n  \t\r\n");
}

//===----------------------------------------------------------------------===//
// JSON import: contradictory backward times
//===----------------------------------------------------------------------===//

TEST(HostileJson, BackwardMustEqualDgradPlusWgrad) {
  // Split (contractDoc): D 38 + W 30 = 68.
  std::string text =
      edit("\"wgrad_ms\": 30,", "\"wgrad_ms\": 30, \"backward_ms\": 70,", 2);
  expectError(text,
              "stages[2].backward_ms: backward_ms 70 contradicts dgrad_ms + "
              "wgrad_ms = 68; give their sum, or omit backward_ms",
              "/stages/2/backward_ms", "70, \"activation_mib\"");
  // Equal up to rounding in the last decimal digits is agreement.
  Problem p =
      parseOk(edit("\"wgrad_ms\": 30,",
                   "\"wgrad_ms\": 30, \"backward_ms\": 68.00000001,", 2));
  EXPECT_NEAR(p.chunks[2].backwardMs, 68, 1e-6);
  EXPECT_EQ(p.chunks[2].dgradMs, 38);

  // Unsplit with all three given: the same contradiction.
  std::string unsplit =
      replaceNth(text, "\"split_backward\": true", "\"split_backward\": false");
  expectError(unsplit,
              "stages[2].backward_ms: backward_ms 70 contradicts dgrad_ms + "
              "wgrad_ms = 68; give their sum, or omit backward_ms",
              "/stages/2/backward_ms", "70, \"activation_mib\"");
}

//===----------------------------------------------------------------------===//
// JSON import: names
//===----------------------------------------------------------------------===//

TEST(HostileJson, NamesAreRestrictedToASafeSet) {
  const std::string rule = " is not allowed; a name uses letters, digits, "
                           "'_', '.' and '-', and starts with a letter or '_'";
  struct Case {
    std::string json; // As written in the file, between the quotes.
    std::string what;
  } cases[] = {
      {"ea\\nst", "character U+000A at byte 2"},
      {"ea\\u0000st", "character U+0000 at byte 2"},
      {"ea\\\"st", "character '\"' (U+0022) at byte 2"},
      {"ea\\\\st", "character '\\' (U+005C) at byte 2"},
      {"ea st", "character ' ' (U+0020) at byte 2"},
      {"ea<st>", "character '<' (U+003C) at byte 2"},
      {"east\xC3\xA9", "character U+00E9 at byte 4"},
      {"2dc", "character '2' (U+0032) at byte 0"},
      {"-east", "character '-' (U+002D) at byte 0"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.json);
    std::string text =
        edit("{\"name\": \"east\"", "{\"name\": \"" + c.json + "\"");
    text = replaceNth(text, "[\"east\"", "[\"" + c.json + "\"");
    expectError(text, "datacenters[0].name: " + c.what + rule,
                "/datacenters/0/name", "\"" + c.json);
  }
  expectError(edit("\"name\": \"m70-2dc\"", "\"name\": \"m70\\r2dc\""),
              "name: character U+000D at byte 3" + rule, "/name",
              "\"m70\\r2dc\"");
  expectError(edit("\"name\": \"m70-2dc\"", "\"name\": \"\""),
              "name: expected a non-empty name", "/name", "\"\"");
  expectError(edit("\"name\": \"m70-2dc\"",
                   "\"name\": \"" + std::string(129, 'x') + "\""),
              "name: a name may be at most 128 bytes long, got 129", "/name",
              "\"xxx");
  Problem p = parseOk(edit("\"name\": \"m70-2dc\"",
                           "\"name\": \"_" + std::string(127, 'x') + "\""));
  EXPECT_EQ(p.name.size(), 128u);
  // Everything the examples use stays valid.
  p = parseOk(
      replaceNth(edit("{\"name\": \"east\"", "{\"name\": \"_e.a-s_t9\""),
                 "[\"east\"", "[\"_e.a-s_t9\""));
  EXPECT_EQ(p.datacenters[0].name, "_e.a-s_t9");
}

TEST(HostileJson, MessagesShowControlCharactersEscaped) {
  // An unknown datacenter in a link is quoted in the message as \xNN.
  std::string text = edit("[\"east\", \"west\"]", "[\"east\", \"we\\nst\"]");
  ParsedProblem parsed = parseProblemJson(text);
  ASSERT_FALSE(parsed.ok);
  EXPECT_EQ(parsed.error.message,
            "network.links[0].between[1]: unknown datacenter 'we\\x0ast' (did "
            "you mean 'west'?)");
}

//===----------------------------------------------------------------------===//
// JSON import: sizes, rates and counts
//===----------------------------------------------------------------------===//

TEST(HostileJson, SizesAndRatesThatWouldOverflowAreRefused) {
  // 8388608 TiB per stage (two of them overflow uint64 when summed).
  expectError(
      edit("\"activation_mib\": 4096", "\"activation_mib\": 8796093022208", 1),
      "stages[1].activation_mib: must be at most 1048576, got "
      "8796093022208",
      "/stages/1/activation_mib", "8796093022208");
  // A link of 1e-300 Gbit/s would make every transfer take forever.
  expectError(edit("\"bandwidth_gbps\": 100", "\"bandwidth_gbps\": 1e-300"),
              "network.links[0].bandwidth_gbps: must be at least 1e-06 (1 "
              "kbit/s), got 1e-300",
              "/network/links/0/bandwidth_gbps", "1e-300");
  expectError(edit("\"bandwidth_gbps\": 200", "\"bandwidth_gbps\": 5e-7"),
              "network.intra_dc.bandwidth_gbps: must be at least 1e-06 (1 "
              "kbit/s), got 5e-07",
              "/network/intra_dc/bandwidth_gbps", "5e-7");
  // Counts beyond int32 and beyond the documented maxima.
  expectError(edit("\"devices\": 4", "\"devices\": 4294967297"),
              "datacenters[0].devices: must be at most 16384, got 4294967297",
              "/datacenters/0/devices", "4294967297");
  expectError(edit("\"microbatches\": 16", "\"microbatches\": 2147483648"),
              "microbatches: must be at most 1000000, got 2147483648",
              "/microbatches", "2147483648");
  expectError(edit("\"degree\": 1", "\"degree\": 1e3"),
              "data_parallel.degree: expected a positive integer, got 1000.0",
              "/data_parallel/degree", "1e3");
}

TEST(HostileJson, TotalsAcrossStagesAndMicrobatchesAreBounded) {
  // A million microbatches of 1 TiB activations: the sum passes 2^62 bytes
  // at the fifth stage.
  std::string text = contractDoc();
  text = replaceNth(text, "\"microbatches\": 16", "\"microbatches\": 1000000");
  for (int i = 0; i < 8; ++i)
    text = replaceNth(text, "\"activation_mib\": 4096,",
                      "\"activation_mib\": 1048576,");
  expectError(text,
              "stages[4].activation_mib: the activations of stages 0 to 4 "
              "over 1000000 microbatches add up to 5.24288e+12 MiB, above "
              "the limit of 2^62 bytes (4 EiB)",
              "/stages/4/activation_mib", "1048576", 4);
  // 200 stages x a million microbatches: too many blocks to schedule.
  std::string blocks =
      replaceNth(contractDoc(200), "\"unidirectional\"", "\"interleaved\"");
  blocks =
      replaceNth(blocks, "\"microbatches\": 16", "\"microbatches\": 1000000");
  expectError(blocks,
              "microbatches: 1000000 microbatches of 200 stages make "
              "200000000 blocks of each kind, above the limit of 100000000",
              "/microbatches", "1000000");
}

//===----------------------------------------------------------------------===//
// Chrome trace writer
//===----------------------------------------------------------------------===//

TEST(HostileWriters, ChromeTraceEscapesEveryName) {
  Problem p = sched::test::makeUniform(2, 2, 2, true, 1, 1, 1, 1, 1);
  // Problems built from IR do not pass the JSON reader's name check.
  p.name = "a\"b\\c\nd\x01\xff";
  p.datacenters[0].name = "<&'\">";
  BaselineResult b = buildBaseline(p, BaselineKind::OneFOneB);
  ASSERT_TRUE(b.ok) << b.error;
  SimResult r = simulate(p, b.schedule);
  ASSERT_TRUE(r.ok) << r.error;
  TraceSummary summary;
  summary.algorithm = "1f1b\n";
  std::string trace;
  ASSERT_NO_THROW(trace = writeChromeTrace(p, b.schedule, r, summary));
  json document = json::parse(trace, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(document.is_discarded());
  EXPECT_EQ(document["otherData"]["problem"], "a\"b\\c\nd\x01\xEF\xBF\xBD");
  EXPECT_NE(trace.find("<&'\\\">->dc1"), std::string::npos);
  // And the picture drawn from it escapes them again for XML.
  Timeline t = timelineFromSimulation(p, b.schedule, r, summary);
  ASSERT_FALSE(t.rows.empty());
  std::string svg = renderSvgTimeline({t});
  EXPECT_NE(svg.find("&lt;&amp;&#39;&quot;&gt;-&gt;dc1"), std::string::npos);
  EXPECT_NE(svg.find("a&quot;b\\c\nd\xEF\xBF\xBD\xEF\xBF\xBD: 1f1b\n"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// SVG writer
//===----------------------------------------------------------------------===//

TEST(HostileWriters, SvgEscapesTextForXml) {
  Timeline t;
  t.title = "it's <b> & \"c\"";
  t.endMs = 1;
  TimelineRow row;
  row.type = TimelineRowType::Link;
  // A control character, a stray continuation byte, a surrogate, an
  // overlong '/', U+FFFE, and valid two- to four-byte characters.
  row.name = std::string("x\x01y\x80z\xED\xA0\x80w\xC0\xAFv\xEF\xBF\xBE"
                         "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  row.blocks.push_back({TimelineKind::Activation, 0, 1, "'", "a\tb", 0, 0});
  t.rows.push_back(row);
  std::string svg = renderSvgTimeline({t});
  EXPECT_NE(svg.find(">it&#39;s &lt;b&gt; &amp; &quot;c&quot;</text>"),
            std::string::npos);
  const std::string bad = "\xEF\xBF\xBD";
  EXPECT_NE(svg.find(">x" + bad + "y" + bad + "z" + bad + bad + bad + "w" +
                     bad + bad + "v" + bad + bad + bad +
                     "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</text>"),
            std::string::npos);
  EXPECT_NE(svg.find("<title>a\tb</title>"), std::string::npos);
  EXPECT_EQ(svg.find('\x01'), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Chrome trace reader
//===----------------------------------------------------------------------===//

/// A trace of one compute event plus `event`, which must be refused with
/// `message`.
void expectTraceError(const std::string &event, const std::string &message) {
  std::string text = "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"F0.0\", "
                     "\"ts\": 0, \"dur\": 1, \"args\": {\"op\": \"F\", "
                     "\"device\": 0}}, " +
                     event + "]}";
  ParsedTimeline parsed;
  ASSERT_NO_THROW(parsed = parseChromeTraceTimeline(text));
  EXPECT_FALSE(parsed.ok) << event;
  EXPECT_EQ(parsed.error, message) << event;
  EXPECT_TRUE(parsed.timeline.rows.empty());
}

TEST(HostileTrace, MalformedEventsAreNamed) {
  expectTraceError(R"({"ph": 5, "name": "x"})",
                   "traceEvents[1]: 'ph' must be a string, got 5");
  expectTraceError(R"({"ph": "X", "name": 7, "ts": 0})",
                   "traceEvents[1]: 'name' must be a string, got 7");
  expectTraceError(R"({"ph": "M", "name": ["thread_name"]})",
                   "traceEvents[1]: 'name' must be a string, got "
                   "[\"thread_name\"]");
  expectTraceError(R"({"name": "x"})",
                   "traceEvents[1]: missing 'ph' (the event type)");
  expectTraceError("3", "traceEvents[1]: expected an event object, got 3");
  expectTraceError(R"({"ph": "X", "name": "x"})",
                   "traceEvents[1]: missing 'ts' (the start time)");
  expectTraceError(R"({"ph": "X", "ts": "soon"})",
                   "traceEvents[1]: 'ts' must be a number, got \"soon\"");
  expectTraceError(R"({"ph": "X", "ts": 1e18})",
                   "traceEvents[1]: 'ts' 1e+18 is out of range (at most 1e17 "
                   "microseconds)");
  expectTraceError(R"({"ph": "X", "ts": 0, "dur": -2e17})",
                   "traceEvents[1]: 'dur' -2e+17 is out of range (at most "
                   "1e17 microseconds)");
  expectTraceError(R"({"ph": "X", "ts": 0, "pid": 1e10})",
                   "traceEvents[1]: 'pid' must be an integer from -2147483648 "
                   "to 2147483647, got 10000000000.0");
  expectTraceError(R"({"ph": "X", "ts": 0, "tid": 4294967296})",
                   "traceEvents[1]: 'tid' must be an integer from -2147483648 "
                   "to 2147483647, got 4294967296");
  expectTraceError(R"({"ph": "X", "ts": 0, "args": [1]})",
                   "traceEvents[1]: 'args' must be an object, got [1]");
  expectTraceError(R"({"ph": "X", "ts": 0, "args": {"op": 1}})",
                   "traceEvents[1]: 'args.op' must be a string, got 1");
  expectTraceError(R"({"ph": "X", "ts": 0, "args": {"op": "F", "mb": 0.5}})",
                   "traceEvents[1]: 'args.mb' must be an integer from "
                   "-2147483648 to 2147483647, got 0.5");
  expectTraceError(
      R"({"ph": "X", "ts": 0, "args": {"op": "F", "device": 100000000}})",
      "traceEvents[1]: args.device 100000000 is not a device index from 0 to "
      "16383");
  expectTraceError(
      R"({"ph": "X", "ts": 0, "args": {"op": "allreduce", "device": -1}})",
      "traceEvents[1]: args.device -1 is not a device index from 0 to 16383");
  expectTraceError(R"({"ph": "X", "ts": 0, "tid": 16384, "args": {"op": "W"}})",
                   "traceEvents[1]: tid 16384 is not a device index from 0 to "
                   "16383");
  expectTraceError(R"({"ph": "M", "name": "thread_name", "args": {"name": 3}})",
                   "traceEvents[1]: 'args.name' must be a string, got 3");

  // A bare array names its events "events[i]".
  EXPECT_EQ(parseChromeTraceTimeline(R"([{"ph": 1}])").error,
            "events[0]: 'ph' must be a string, got 1");
  // Trailing content after a NUL byte, which nlohmann would take for the end.
  EXPECT_EQ(parseChromeTraceTimeline(
                std::string("{\"traceEvents\": []}\n\0garbage", 28))
                .error,
            "not valid JSON: a NUL byte at line 2, column 1");
  // A large device index that is within the bound is fine.
  ParsedTimeline last = parseChromeTraceTimeline(
      R"([{"ph": "X", "ts": 0, "args": {"op": "F", "device": 16383}}])");
  ASSERT_TRUE(last.ok) << last.error;
  EXPECT_EQ(last.timeline.rows.size(), 16384u);
}

TEST(HostileTrace, RowsAreBounded) {
  // One event on a thread of its own each: one row per event.
  std::string text = "[";
  for (int i = 0; i <= kMaxTimelineRows; ++i)
    text += std::string(i ? "," : "") +
            "{\"ph\": \"X\", \"ts\": 0, \"tid\": " + std::to_string(i) + "}";
  text += "]";
  ParsedTimeline parsed = parseChromeTraceTimeline(text);
  EXPECT_FALSE(parsed.ok);
  EXPECT_EQ(parsed.error,
            "events[20000]: the timeline would have more than 20000 rows");
}

//===----------------------------------------------------------------------===//
// Picture bounds
//===----------------------------------------------------------------------===//

/// The width attribute of the picture.
double pictureWidth(const std::string &svg) {
  std::size_t at = svg.find("width=\"");
  return std::strtod(svg.c_str() + at + 7, nullptr);
}

TEST(HostilePicture, WidthIsBoundedWhateverTheScale) {
  Timeline t;
  t.endMs = 1e9; // 1e12 microseconds.
  TimelineRow row;
  row.blocks.push_back({TimelineKind::F, 0, 1e9, "0", "F", 0, 0});
  t.rows.push_back(row);
  for (double px : {1.0, 1e9, std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(px);
    SvgOptions options;
    options.pxPerMs = px;
    SvgPicture picture = drawSvgTimeline({t}, options);
    EXPECT_LE(pictureWidth(picture.svg), kMaxSvgAxisWidthPx + 200);
    ASSERT_EQ(picture.notes.size(), 1u);
    EXPECT_NE(picture.notes[0].find("reduced to 0.0001 px per ms"),
              std::string::npos)
        << picture.notes[0];
    EXPECT_EQ(picture.omittedTimelines, 0);
    EXPECT_LT(count(picture.svg, "<line"), 2100);
  }
  // Automatic scales stay within [minWidthPx, maxWidthPx], silently.
  SvgPicture automatic = drawSvgTimeline({t});
  EXPECT_TRUE(automatic.notes.empty());
  EXPECT_LE(pictureWidth(automatic.svg), 4800 + 200);
  // An end no trace can produce still draws a bounded picture.
  t.endMs = std::numeric_limits<double>::infinity();
  SvgPicture endless = drawSvgTimeline({t});
  EXPECT_LT(count(endless.svg, "<line"), 2100);
}

TEST(HostilePicture, HeightIsBounded) {
  Timeline t;
  t.endMs = 1;
  for (int d = 0; d < kMaxTimelineRows; ++d) {
    TimelineRow row;
    row.name = "device " + std::to_string(d);
    t.rows.push_back(row);
  }
  // 20000 device rows are 440058 px: two fit in the picture, three do not.
  SvgPicture two = drawSvgTimeline({t, t});
  EXPECT_EQ(two.omittedTimelines, 0);
  EXPECT_TRUE(two.notes.empty());
  SvgPicture three = drawSvgTimeline({t, t, t});
  EXPECT_EQ(three.omittedTimelines, 1);
  ASSERT_EQ(three.notes.size(), 1u);
  EXPECT_EQ(three.notes[0], "1 of 3 timelines not drawn: the picture would be "
                            "taller than 1e+06 px");
  EXPECT_NE(three.svg.find(three.notes[0]), std::string::npos);
  EXPECT_EQ(count(three.svg, ">device 19999</text>"), 2);
}

} // namespace
