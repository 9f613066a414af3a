//===- SvgTimelineTest.cpp - Traces to timeline rows and pictures ---------===//
//
// A simulated schedule must turn into rows whose blocks are exactly the
// simulator's intervals; a trace that looks measured (arbitrary time origin,
// no summary, events outside the contract) must still draw, shifted to 0;
// and the picture must show each device's idle share, the labels that fit
// and only the legend entries that occur.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"

#include "../Schedule/TestProblems.h"
#include "crosspipe/Schedule/Baselines.h"

#include "gtest/gtest.h"

using namespace crosspipe::sched;
using crosspipe::sched::test::makeUniform;

namespace {

int count(const std::string &text, const std::string &needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

const TimelineRow *findRow(const Timeline &t, const std::string &name) {
  for (const TimelineRow &row : t.rows)
    if (row.name == name)
      return &row;
  return nullptr;
}

TEST(SvgTimeline, SimulatedScheduleKeepsTheSimulatorsTimes) {
  // Two devices in two datacenters, 1 ms blocks, 1 ms latency and 1 ms of
  // bandwidth per message: 1F1B with F, D and W split.
  Problem p = makeUniform(2, 2, 2, true, 1, 1, 1, 1, 1);
  p.name = "two";
  BaselineResult b = buildBaseline(p, BaselineKind::OneFOneB);
  ASSERT_TRUE(b.ok) << b.error;
  SimResult r = simulate(p, b.schedule);
  ASSERT_TRUE(r.ok) << r.error;
  TraceSummary summary;
  summary.algorithm = "1f1b";
  summary.makespanMs = r.makespanMs;
  summary.lowerBoundMs = 7;
  Timeline t = timelineFromSimulation(p, b.schedule, r, summary);
  EXPECT_EQ(t.title, "two: 1f1b");
  EXPECT_EQ(t.makespanMs, r.makespanMs);
  EXPECT_EQ(t.lowerBoundMs, 7);
  EXPECT_DOUBLE_EQ(t.endMs, r.makespanMs);
  EXPECT_EQ(t.ignoredEvents, 0);
  ASSERT_GE(t.rows.size(), 4u);
  for (int d = 0; d < 2; ++d) {
    const TimelineRow &row = t.rows[d];
    EXPECT_EQ(row.type, TimelineRowType::Device);
    EXPECT_EQ(row.name, "device " + std::to_string(d));
    ASSERT_EQ(row.blocks.size(), b.schedule.order[d].size());
    for (size_t i = 0; i < row.blocks.size(); ++i) {
      // Blocks are sorted by start; 1F1B's order is already chronological.
      const Block &block = b.schedule.order[d][i];
      EXPECT_EQ(row.blocks[i].label, std::to_string(block.mb));
      EXPECT_EQ(row.blocks[i].chunk, block.chunk);
      EXPECT_NEAR(row.blocks[i].startMs, r.times[d][i].startMs, 1e-9);
      EXPECT_NEAR(row.blocks[i].endMs, r.times[d][i].endMs, 1e-9);
    }
  }
  // The cross-datacenter messages: two activations east, two gradients west.
  const TimelineRow *east = findRow(t, "dc0->dc1");
  const TimelineRow *west = findRow(t, "dc1->dc0");
  ASSERT_TRUE(east && west);
  EXPECT_EQ(east->type, TimelineRowType::Link);
  ASSERT_EQ(east->blocks.size(), 2u);
  EXPECT_EQ(east->blocks[0].kind, TimelineKind::Activation);
  EXPECT_EQ(west->blocks[1].kind, TimelineKind::Gradient);
  // Sent when F ends (1 ms), on the link for 1 ms.
  EXPECT_NEAR(east->blocks[0].startMs, 1, 1e-9);
  EXPECT_NEAR(east->blocks[0].endMs, 2, 1e-9);
  EXPECT_EQ(east->blocks[0].tooltip,
            "act chunk 0 mb 0 dc0->dc1 [1.00, 2.00] ms");
}

TEST(SvgTimeline, MeasuredTraceIsShiftedAndKeepsUnknownEvents) {
  // As a runtime might write it: microseconds since boot, no otherData, an
  // xfer without a link name and a memcpy outside the contract.
  std::string trace = R"([
    {"ph": "M", "name": "thread_name", "pid": 7, "tid": 3,
     "args": {"name": "copy engine"}},
    {"ph": "X", "name": "F0.0", "pid": 0, "tid": 0, "ts": 5000000.0,
     "dur": 2000.0, "args": {"op": "F", "chunk": 0, "mb": 0, "device": 0}},
    {"ph": "X", "name": "W3.1", "pid": 0, "tid": 9, "ts": 5004000.0,
     "dur": 500.0, "args": {"op": "W", "chunk": 3, "mb": 1}},
    {"ph": "X", "name": "F1.0", "pid": 0, "tid": 2, "ts": 5003000.0,
     "dur": 1000.0, "args": {"op": "F", "chunk": 1, "mb": 0, "device": 2}},
    {"ph": "X", "name": "F4.0", "pid": 0, "tid": 2, "ts": 5006000.0,
     "dur": 1000.0, "args": {"op": "F", "chunk": 4, "mb": 0, "device": 2}},
    {"ph": "X", "name": "act0.0", "pid": 1, "tid": 4, "ts": 5002000.0,
     "dur": 1000.0, "args": {"op": "xfer", "kind": "act", "chunk": 0, "mb": 0}},
    {"ph": "X", "name": "memcpy", "pid": 7, "tid": 3, "ts": 5001000.0,
     "dur": 100.0},
    {"ph": "i", "name": "marker", "pid": 0, "tid": 0, "ts": 1.0}
  ])";
  ParsedTimeline parsed = parseChromeTraceTimeline(trace);
  ASSERT_TRUE(parsed.ok) << parsed.error;
  const Timeline &t = parsed.timeline;
  EXPECT_EQ(t.title, "");
  EXPECT_EQ(t.makespanMs, 0);
  EXPECT_NEAR(t.endMs, 7, 1e-9);
  EXPECT_EQ(t.ignoredEvents, 1);
  // Devices 0..9: the W without args.device sits on its thread id.
  ASSERT_NE(findRow(t, "device 9"), nullptr);
  EXPECT_EQ(findRow(t, "device 9")->blocks[0].kind, TimelineKind::W);
  EXPECT_TRUE(findRow(t, "device 5")->blocks.empty());
  const TimelineRow *d0 = findRow(t, "device 0");
  EXPECT_NEAR(d0->blocks[0].startMs, 0, 1e-9);
  EXPECT_NEAR(d0->blocks[0].endMs, 2, 1e-9);
  // Device 2 holds chunks 1 and 4: the second is shaded.
  const TimelineRow *d2 = findRow(t, "device 2");
  ASSERT_EQ(d2->blocks.size(), 2u);
  EXPECT_EQ(d2->blocks[0].shade, 0);
  EXPECT_EQ(d2->blocks[1].shade, 1);
  ASSERT_NE(findRow(t, "link 4"), nullptr);
  const TimelineRow *other = findRow(t, "copy engine");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->type, TimelineRowType::Other);
  EXPECT_NEAR(other->blocks[0].startMs, 1, 1e-9);
  // Devices first, then links, then others.
  EXPECT_EQ(t.rows.front().name, "device 0");
  EXPECT_EQ(t.rows.back().name, "copy engine");
}

TEST(SvgTimeline, RejectsWhatIsNotATrace) {
  EXPECT_EQ(parseChromeTraceTimeline("{").error, "not valid JSON");
  EXPECT_EQ(parseChromeTraceTimeline("{\"events\": []}").error,
            "expected a 'traceEvents' array");
  EXPECT_EQ(parseChromeTraceTimeline("3").error,
            "expected a trace object or an array of events");
  ParsedTimeline empty = parseChromeTraceTimeline("{\"traceEvents\": []}");
  EXPECT_TRUE(empty.ok);
  EXPECT_TRUE(empty.timeline.rows.empty());
}

TEST(SvgTimeline, PictureShowsIdleSharesLabelsAndLegend) {
  Timeline t;
  t.title = "a <b> & c";
  t.makespanMs = 10;
  t.lowerBoundMs = 8;
  t.endMs = 10;
  TimelineRow dev;
  dev.name = "device 0";
  // 4.1 ms busy of 10: idle 59%. At 10 px/ms the label "12" fits into
  // 4 ms (40 px), "77" not into 0.1 ms (1 px); its tooltip stays.
  dev.blocks.push_back({TimelineKind::F, 0, 4, "12", "F mb 12", 0, 0});
  dev.blocks.push_back({TimelineKind::W, 9.9, 10, "77", "W mb 77", 0, 0});
  t.rows.push_back(dev);
  SvgOptions options;
  options.pxPerMs = 10;
  std::string svg = renderSvgTimeline({t}, options);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; c"), std::string::npos);
  EXPECT_NE(svg.find("makespan 10.0 ms, lower bound 8.0 ms (1.250x)"),
            std::string::npos);
  EXPECT_NE(svg.find(">idle 59%<"), std::string::npos);
  EXPECT_NE(svg.find(">12</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">77</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>W mb 77</title>"), std::string::npos);
  EXPECT_NE(svg.find("F (forward)"), std::string::npos);
  EXPECT_NE(svg.find("W (weight gradient)"), std::string::npos);
  EXPECT_EQ(svg.find("D (input gradient)"), std::string::npos);
  // Axis 100 px + labels + idle column, as the options ask.
  EXPECT_NE(svg.find("width=\"288.0\""), std::string::npos);
  EXPECT_EQ(count(svg, "<svg"), 1);
  EXPECT_EQ(count(svg, "</svg>"), 1);

  // Two panels share one scale; the shorter ends earlier.
  Timeline half = t;
  half.endMs = 5;
  std::string both = renderSvgTimeline({t, half}, options);
  EXPECT_EQ(count(both, "width=\"50.0\" height=\"20.0\" fill=\"#e6e6e6\""), 1);
  EXPECT_EQ(count(both, "width=\"100.0\" height=\"20.0\" fill=\"#e6e6e6\""), 1);

  EXPECT_NE(renderSvgTimeline({}).find("no timeline to draw"),
            std::string::npos);
}

} // namespace
