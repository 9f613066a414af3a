//===- ScheduleCheckTest.cpp - Faults found by the schedule checks --------===//
//
// Each check against a hand-made schedule with exactly one fault: the fault
// kind, the positions it names and the numbers it reports.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/ScheduleCheck.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {
using K = BlockKind;

/// Two devices, one chunk each, two microbatches, fused backward; a valid
/// 1F1B-like order.
struct TwoStages {
  Problem p = makeUniform(2, 1, 2, false, 1, 2, 0, 0, 0);
  Schedule s;
  TwoStages() {
    s.order = {
        {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::B, 0, 0), blk(K::B, 0, 1)},
        {blk(K::F, 1, 0), blk(K::B, 1, 0), blk(K::F, 1, 1), blk(K::B, 1, 1)}};
  }
};

TEST(ScheduleCheckTest, ValidScheduleHasNoFault) {
  TwoStages t;
  BlockIndex index;
  EXPECT_FALSE(checkComplete(t.p, t.s, index));
  EXPECT_FALSE(checkDeviceOrder(t.p, t.s, index));
  SimResult sim = simulate(t.p, t.s);
  ASSERT_TRUE(sim.ok) << sim.error;
  EXPECT_FALSE(checkMemory(t.p, t.s, sim));
  ASSERT_NE(index.find(K::B, 1, 1), nullptr);
  EXPECT_EQ(index.find(K::B, 1, 1)->front().index, 3);
}

TEST(ScheduleCheckTest, DuplicateAndMissing) {
  TwoStages t;
  t.s.order[1][3] = blk(K::B, 1, 0);
  BlockIndex index;
  ScheduleFault f = checkComplete(t.p, t.s, index);
  ASSERT_EQ(f.kind, ScheduleFault::Duplicate);
  EXPECT_EQ(f.at.device, 1);
  EXPECT_EQ(f.at.index, 3);
  EXPECT_EQ(f.other.index, 1);

  t = TwoStages();
  t.s.order[1].pop_back();
  f = checkComplete(t.p, t.s, index);
  ASSERT_EQ(f.kind, ScheduleFault::Missing);
  EXPECT_FALSE(f.missingPart);
  EXPECT_EQ(f.block.kind, K::B);
  EXPECT_EQ(f.block.chunk, 1);
  EXPECT_EQ(f.block.mb, 1);
  EXPECT_EQ(f.device, 1);
}

TEST(ScheduleCheckTest, PartsCutDifferentlyOrMissing) {
  TwoStages t;
  t.s.order[0][0] = blk(K::F, 0, 0, 0, 2);
  t.s.order[0].insert(t.s.order[0].begin() + 1, blk(K::F, 0, 0, 1, 3));
  BlockIndex index;
  ScheduleFault f = checkComplete(t.p, t.s, index);
  ASSERT_EQ(f.kind, ScheduleFault::PartCount);
  EXPECT_EQ(f.otherParts, 2);
  EXPECT_EQ(f.block.parts, 3);

  t = TwoStages();
  t.s.order[0][0] = blk(K::F, 0, 0, 0, 2);
  f = checkComplete(t.p, t.s, index);
  ASSERT_EQ(f.kind, ScheduleFault::Missing);
  EXPECT_TRUE(f.missingPart);
  EXPECT_EQ(f.block.part, 1);
}

TEST(ScheduleCheckTest, RunsBeforeItsInput) {
  TwoStages t;
  std::swap(t.s.order[1][0], t.s.order[1][1]); // B1 before F1 of mb 0
  BlockIndex index;
  ASSERT_FALSE(checkComplete(t.p, t.s, index));
  ScheduleFault f = checkDeviceOrder(t.p, t.s, index);
  ASSERT_EQ(f.kind, ScheduleFault::RunsBefore);
  EXPECT_EQ(f.at.index, 0);
  EXPECT_EQ(f.other.index, 1);
  EXPECT_EQ(f.block.kind, K::F);
  EXPECT_EQ(f.block.chunk, 1);
}

// GPipe-like order on device 0 holds both microbatches' activations
// (2 MiB) at once; a 1.5 MiB budget is exceeded at the second F.
TEST(ScheduleCheckTest, OverBudget) {
  TwoStages t;
  t.p.memoryLimitBytes = {kMiB + kMiB / 2, kUnlimited};
  SimResult sim = simulate(t.p, t.s);
  ASSERT_TRUE(sim.ok) << sim.error;
  ScheduleFault f = checkMemory(t.p, t.s, sim);
  ASSERT_EQ(f.kind, ScheduleFault::OverBudget);
  EXPECT_EQ(f.device, 0);
  EXPECT_EQ(f.at.index, 1);
  EXPECT_EQ(f.bytes, 2 * kMiB);
  EXPECT_EQ(f.limit, kMiB + kMiB / 2);
}
} // namespace
