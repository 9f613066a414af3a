//===- ProfileTest.cpp - Fitting the model to measured times --------------===//
//
// Hand-computed fits: medians with and without outliers, sub-blocks, link
// bandwidth from message size and link time, and the refusals.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/Profile.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;

namespace {

Problem twoStages(bool split) {
  return test::makeUniform(2, 2, 4, split, 1, 2, split ? 1 : 0, 3, 1);
}

const ProfileFigure *figure(const ProfileFit &fit, const std::string &what) {
  for (const ProfileFigure &f : fit.figures)
    if (f.what == what)
      return &f;
  return nullptr;
}

TEST(ProfileTest, MedianDropsOutliers) {
  Problem p = twoStages(false);
  // Median 10.1; deviations 0.1, 0.1, 0.3, 0, 44.9 -> MAD 0.1 x 1.4826;
  // 55 lies beyond 3 MADs, the median of the rest is (10 + 10.1) / 2.
  ProfileFit fit =
      fitProfile(p, "chunk,kind,ms\n0,F,10\n0,F,10.2\n0,F,9.8\n0,F,10.1\n"
                    "0,F,55\n");
  ASSERT_TRUE(fit.ok) << fit.error;
  const ProfileFigure *f = figure(fit, "chunk 0 F");
  ASSERT_NE(f, nullptr);
  EXPECT_DOUBLE_EQ(f->measuredValue, 10.05);
  EXPECT_EQ(f->samples, 5);
  EXPECT_EQ(f->dropped, 1);
  EXPECT_DOUBLE_EQ(f->modelValue, 1);
  EXPECT_DOUBLE_EQ(p.chunks[0].forwardMs, 10.05);
  // Unmeasured figures keep the model's value, and say so.
  EXPECT_DOUBLE_EQ(p.chunks[1].forwardMs, 1);
  EXPECT_FALSE(fit.notes.empty());
}

TEST(ProfileTest, SubBlocksAndSplitBackward) {
  Problem p = twoStages(true);
  ProfileFit fit = fitProfile(
      p, "chunk,op,parts,start_ms,end_ms,device\n1,I,2,5,6.5,1\n"
         "1,I,2,7,8.5,1\n1,W,1,0,2,1\n");
  ASSERT_TRUE(fit.ok) << fit.error;
  EXPECT_DOUBLE_EQ(p.chunks[1].dgradMs, 3); // 1.5 ms per half
  EXPECT_DOUBLE_EQ(p.chunks[1].wgradMs, 2);
  EXPECT_DOUBLE_EQ(p.chunks[1].backwardMs, 5);
}

// A trace: 1 MiB messages over the cross-datacenter link take 2 ms, so it
// carries 2^23 bits / 2 ms = 4.194304 Gbps.
TEST(ProfileTest, LinkBandwidthFromTransfers) {
  Problem p = twoStages(false);
  p.chunks[0].messageBytes = 1 << 20;
  std::string trace = R"({"traceEvents": [
    {"ph": "X", "ts": 0, "dur": 1000, "args": {"op": "F", "chunk": 0, "mb": 0, "device": 0}},
    {"ph": "X", "ts": 1000, "dur": 2000, "args": {"op": "xfer", "kind": "act", "chunk": 0, "src": 0, "dst": 1}},
    {"ph": "X", "ts": 2000, "dur": 2000, "args": {"op": "xfer", "kind": "act", "chunk": 0, "src": 0, "dst": 1}},
    {"ph": "M", "name": "thread_name", "args": {"name": "x"}}]})";
  ProfileFit fit = fitProfile(p, trace);
  ASSERT_TRUE(fit.ok) << fit.error;
  const ProfileFigure *f = figure(fit, "link dc0->dc1 bandwidth");
  ASSERT_NE(f, nullptr);
  EXPECT_DOUBLE_EQ(f->measuredValue, 4.194304);
  EXPECT_EQ(f->samples, 2);
  const LinkCost *cost = p.linkCost(0, 1);
  ASSERT_NE(cost, nullptr);
  EXPECT_DOUBLE_EQ(cost->bandwidthGbps, 4.194304);
}

TEST(ProfileTest, RefusesWhatDoesNotFit) {
  struct Case {
    const char *text;
    const char *error;
  } cases[] = {
      {"chunk,kind,ms\n5,F,1\n", "line 2: names chunk 5, but the problem has 2"},
      {"chunk,kind,ms,device\n1,F,1,0\n",
       "line 2: ran chunk 1 on device 0, but the problem places it on device 1"},
      {"chunk,kind,ms\n1,W,1\n", "line 2: measures a W block"},
      {"chunk,kind,ms\n1,F,-1\n", "line 2: column ms is negative"},
      {"chunk,kind,start_ms,end_ms\n1,F,5,4\n", "line 2: ends before it starts"},
      {"chunk,kind,ms\n1,F,0\n", "chunk 1 F: measured 0 ms"},
      {"chunk,kind,ms\n1,F,nan\n", "line 2: column ms is not a number"},
      {"chunk,kind,ms\n1,F\n", "line 2: has 2 columns, the header 3"},
      {"chunk,kind\n1,F\n", "line 1: the header must name the columns"},
      {"", "line 1: the profile is empty"},
      {"chunk,kind,ms\n1,SEND,1\n", "the profile: measures no compute block"},
      {"{\"traceEvents\": 3}", "the trace: traceEvents is not an array"},
      {"{\"traceEvents\": [{\"ph\": \"X\", \"args\": {\"op\": \"F\"}}]}",
       "event 0: has no args.chunk"},
      {"[{\"ph\": \"X\", \"dur\": \"x\", \"args\": {\"op\": \"F\", \"chunk\": 0}}]",
       "event 0: has no numeric dur"},
      {"{\"traceEvents\": [", "the trace: is not valid JSON"},
  };
  for (const Case &c : cases) {
    Problem p = twoStages(false);
    ProfileFit fit = fitProfile(p, c.text);
    ASSERT_FALSE(fit.ok) << c.text;
    EXPECT_NE(fit.error.find(c.error), std::string::npos)
        << c.text << " -> " << fit.error;
    // Nothing changed.
    EXPECT_DOUBLE_EQ(p.chunks[1].forwardMs, 1);
  }
}

} // namespace

namespace {
// crosspipe-host-run --profile: comment lines first, one naming the time
// scale; times are divided by it, and each send paired with its receive
// gives a link sample (bandwidth from the window, latency from the arrival).
TEST(ProfileTest, RuntimeProfileWithTimeScale) {
  Problem p = test::makeUniform(2, 2, 4, false, 1, 2, 0, 3, 1);
  p.chunks[0].messageBytes = 1 << 20;
  ProfileFit fit = fitProfile(
      p, "# crosspipe measured profile\n# plan x algorithm y time_scale 0.5\n"
         "step,device,op,chunk,mb,part,parts,start_ms,end_ms,model_ms\n"
         "1,0,F,0,0,0,1,0,2.5,0.5\n1,0,SEND_ACT,0,0,0,1,2.5,3,0.5\n"
         "1,1,RECV_ACT,0,0,0,1,0,4.5,1.5\n1,1,B,1,0,0,1,4,5.5,1\n");
  ASSERT_TRUE(fit.ok) << fit.error;
  EXPECT_DOUBLE_EQ(p.chunks[0].forwardMs, 5);
  EXPECT_DOUBLE_EQ(p.chunks[1].backwardMs, 3);
  // The message holds the link [2.5, 3] and arrives at 4.5 (at time scale
  // 0.5): 1 ms of link time and 3 ms of latency in the model's units.
  const LinkCost *cost = p.linkCost(0, 1);
  ASSERT_NE(cost, nullptr);
  EXPECT_DOUBLE_EQ(cost->latencyMs, 3);
  EXPECT_DOUBLE_EQ(cost->bandwidthGbps, 1.0 * (1 << 20) * 8 / 1e-3 / 1e9);
  Problem q = test::makeUniform(2, 2, 4, false, 1, 2, 0, 3, 1);
  ProfileFit bad = fitProfile(q, "# time_scale 0\nchunk,kind,ms\n0,F,1\n");
  ASSERT_FALSE(bad.ok);
  EXPECT_EQ(bad.error, "line 1: time_scale must be in [1e-9, 1e9]");
}
} // namespace
