//===- DpCollectivesTest.cpp - Buckets and ZeRO-1 in the simulator --------===//
//
// Hand-timed timelines of one device running one chunk: F 1 ms, D 1 ms,
// W 4 ms, two microbatches, so the second W runs over [8, 12]. The DP link
// has 0.5 ms latency and moves the whole gradient in 2 ms, so with two
// replicas an all-reduce takes 2 * 0.5 + 2 = 3 ms, one of n buckets
// 1 + 2 / n ms, a reduce-scatter or all-gather of everything 0.5 + 1 ms.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

Problem oneDevice(int buckets, bool zero1) {
  Problem p;
  p.numMicrobatches = 2;
  p.splitBackward = true;
  p.datacenters.push_back({"dc", 1, 0, {}});
  DcLink link;
  link.cost.latencyMs = 0.5;
  link.cost.bandwidthGbps = 1000.0 / 2; // kMessageBytes in 2 ms.
  p.links.push_back(link);
  Chunk c;
  c.forwardMs = 1;
  c.dgradMs = 1;
  c.wgradMs = 4;
  c.activationBytes = kMiB;
  c.gradientBytes = kMessageBytes;
  p.chunks.push_back(c);
  p.dpDegree = 2;
  p.dpBuckets = buckets;
  p.zero1 = zero1;
  return p;
}

Schedule fdwTwice(int wParts = 1) {
  Schedule s;
  s.order.resize(1);
  for (int mb = 0; mb < 2; ++mb)
    s.order[0].push_back(blk(BlockKind::F, 0, mb));
  for (int mb = 0; mb < 2; ++mb) {
    s.order[0].push_back(blk(BlockKind::D, 0, mb));
    for (int part = 0; part < wParts; ++part)
      s.order[0].push_back(blk(BlockKind::W, 0, mb, part, wParts));
  }
  return s;
}

void expectSpan(const CollectiveEvent &e, double start, double end) {
  EXPECT_DOUBLE_EQ(e.time.startMs, start);
  EXPECT_DOUBLE_EQ(e.time.endMs, end);
}

TEST(DpCollectives, OneBucketIsTheAllReduceAfterTheLastW) {
  Problem p = oneDevice(1, false);
  EXPECT_DOUBLE_EQ(p.collectiveMs(0, CollectiveKind::AllReduce),
                   p.allreduceMs(0));
  SimResult r = simulate(p, fdwTwice());
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.collectives.size(), 1u);
  expectSpan(r.collectives[0], 12, 15);
  EXPECT_DOUBLE_EQ(r.collectives[0].readyMs, 12);
  EXPECT_DOUBLE_EQ(r.makespanMs, 15);
}

TEST(DpCollectives, BucketsStartWhileTheLastWRuns) {
  // Bucket 0 (the last layers) is complete in W(mb 1) at 10 ms, halfway.
  SimResult r = simulate(oneDevice(2, false), fdwTwice());
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.collectives.size(), 2u);
  EXPECT_EQ(r.collectives[0].bucket, 0);
  EXPECT_EQ(r.collectives[0].kind, CollectiveKind::AllReduce);
  EXPECT_DOUBLE_EQ(r.collectives[0].readyMs, 10);
  expectSpan(r.collectives[0], 10, 12);
  expectSpan(r.collectives[1], 12, 14);
  EXPECT_DOUBLE_EQ(r.makespanMs, 14);
}

TEST(DpCollectives, MoreBucketsPayMoreLatency) {
  // Four buckets of 1.5 ms are ready at 9, 10, 11, 12 and queue: no gain.
  SimResult r = simulate(oneDevice(4, false), fdwTwice());
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.collectives.size(), 4u);
  expectSpan(r.collectives[0], 9, 10.5);
  expectSpan(r.collectives[1], 10.5, 12);
  expectSpan(r.collectives[3], 13.5, 15);
  EXPECT_DOUBLE_EQ(r.makespanMs, 15);
}

TEST(DpCollectives, SubBlocksCompleteBucketsInsideAPart) {
  // W cut in two: bucket 0 of 4 is done a quarter into W(mb 1) at 9 ms,
  // inside its first part [8, 10]; bucket 1 at that part's end.
  SimResult r = simulate(oneDevice(4, false), fdwTwice(2));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_DOUBLE_EQ(r.collectives[0].readyMs, 9);
  EXPECT_DOUBLE_EQ(r.collectives[1].readyMs, 10);
  EXPECT_DOUBLE_EQ(
      bucketDoneMs(blk(BlockKind::W, 0, 1, 0, 2), Interval{8, 10}, 0, 4), 9);
  EXPECT_LT(bucketDoneMs(blk(BlockKind::W, 0, 1, 0, 2), Interval{8, 10}, 2, 4),
            0);
}

TEST(DpCollectives, ZeroOneGathersFirstAndScattersLast) {
  // The all-gather runs over [0, 1.5] and holds F back; the reduce-scatter
  // follows the last W at 13.5; the makespan counts from 0.
  SimResult r = simulate(oneDevice(1, true), fdwTwice());
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.collectives.size(), 2u);
  EXPECT_EQ(r.collectives[0].kind, CollectiveKind::AllGather);
  expectSpan(r.collectives[0], 0, 1.5);
  EXPECT_DOUBLE_EQ(r.times[0][0].startMs, 1.5);
  EXPECT_EQ(r.collectives[1].kind, CollectiveKind::ReduceScatter);
  expectSpan(r.collectives[1], 13.5, 15);
  EXPECT_DOUBLE_EQ(r.makespanMs, 15);
}

TEST(DpCollectives, BoundsStayValidWithBuckets) {
  // The analytic bound must not assume one all-reduce after the last W.
  Problem p = oneDevice(2, false);
  SimResult r = simulate(p, fdwTwice());
  ASSERT_TRUE(r.ok);
  EXPECT_LE(computeLowerBound(p).makespanMs, r.makespanMs + 1e-9);
}

TEST(DpCollectives, InvalidBucketCountIsAnError) {
  SimResult r = simulate(oneDevice(0, false), fdwTwice());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "dp buckets 0 < 1");
}

} // namespace
