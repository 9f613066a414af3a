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

namespace {
/// Times of a schedule as a simulation gives them, as annotations.
std::vector<std::vector<Annotated>> annotate(const SimResult &sim) {
  std::vector<std::vector<Annotated>> out(sim.times.size());
  for (size_t d = 0; d < sim.times.size(); ++d)
    for (const Interval &t : sim.times[d])
      out[d].push_back({true, t.startMs, t.endMs});
  return out;
}

// Simulated times always pass; moving a block earlier than its device's
// previous block, or than its input's arrival, is found.
TEST(ScheduleCheckTest, AnnotatedTimes) {
  TwoStages t;
  BlockIndex index;
  ASSERT_FALSE(checkComplete(t.p, t.s, index));
  SimResult sim = simulate(t.p, t.s);
  ASSERT_TRUE(sim.ok);
  std::vector<std::vector<Annotated>> times = annotate(sim);
  EXPECT_FALSE(checkAnnotatedTimes(t.p, t.s, index, times));

  // F1 mb 0 (device 1, first) needs F0 mb 0, which ends at 1 ms.
  times[1][0].startMs = 0.5;
  ScheduleFault f = checkAnnotatedTimes(t.p, t.s, index, times);
  ASSERT_EQ(f.kind, ScheduleFault::StartsBeforeInput);
  EXPECT_EQ(f.readyMs, 1.0);
  EXPECT_EQ(f.block.kind, K::F);
  EXPECT_EQ(f.block.chunk, 0);

  times = annotate(sim);
  times[0][1].startMs = times[0][0].endMs - 0.5; // F0 mb 1 overlaps F0 mb 0
  f = checkAnnotatedTimes(t.p, t.s, index, times);
  ASSERT_EQ(f.kind, ScheduleFault::StartsBeforePrevious);
  EXPECT_EQ(f.other.index, 0);
}

TEST(ScheduleCheckTest, Collectives) {
  TwoStages t;
  BlockIndex index;
  ASSERT_FALSE(checkComplete(t.p, t.s, index));
  SimResult sim = simulate(t.p, t.s);
  std::vector<std::vector<Annotated>> times = annotate(sim);
  // All-reduce of chunk 0 after device 0's four blocks, once B0 mb 1 ends.
  double lastB = sim.times[0][3].endMs;
  CollectiveNote ar;
  ar.device = 0;
  ar.computeBefore = 4;
  ar.time = {true, lastB, lastB + 1};
  EXPECT_FALSE(checkCollectives(t.p, t.s, index, times, {ar}));

  CollectiveNote early = ar;
  early.time.startMs = lastB - 0.5;
  ScheduleFault f = checkCollectives(t.p, t.s, index, times, {early});
  ASSERT_EQ(f.kind, ScheduleFault::ReduceStartsEarly);
  EXPECT_EQ(f.readyMs, lastB);

  CollectiveNote before = ar;
  before.computeBefore = 3; // before B0 mb 1 in program order
  f = checkCollectives(t.p, t.s, index, times, {before});
  ASSERT_EQ(f.kind, ScheduleFault::CollectiveMisplaced);
  EXPECT_EQ(f.other.index, 3);

  CollectiveNote rs = ar;
  rs.kind = CollectiveKind::ReduceScatter;
  rs.time = {true, lastB + 0.5, lastB + 2};
  f = checkCollectives(t.p, t.s, index, times, {ar, rs});
  ASSERT_EQ(f.kind, ScheduleFault::Zero1WithAllReduce);
  EXPECT_EQ(f.collective, 1);
  EXPECT_EQ(f.otherCollective, 0);

  CollectiveNote again = ar;
  again.time = {true, lastB + 0.5, lastB + 2};
  f = checkCollectives(t.p, t.s, index, times, {ar, again});
  ASSERT_EQ(f.kind, ScheduleFault::DuplicateCollective);

  CollectiveNote other = ar;
  other.chunk = 1;
  other.device = 1;
  other.program = 1;
  other.time = {true, sim.times[1][3].endMs, sim.times[1][3].endMs + 1};
  EXPECT_FALSE(checkCollectives(t.p, t.s, index, times, {ar, other}));

  // Two buckets of chunk 0 on one communication stream may not overlap.
  CollectiveNote b0 = ar, b1 = ar;
  b0.buckets = b1.buckets = 2;
  b1.bucket = 1;
  b1.time = {true, lastB + 0.5, lastB + 2};
  f = checkCollectives(t.p, t.s, index, times, {b0, b1});
  ASSERT_EQ(f.kind, ScheduleFault::CollectivesOverlap);
  EXPECT_EQ(f.collective, 1);
  EXPECT_EQ(f.device, 0);
  b1.buckets = 3;
  f = checkCollectives(t.p, t.s, index, times, {b0, b1});
  ASSERT_EQ(f.kind, ScheduleFault::BucketMismatch);
  EXPECT_EQ(f.buckets, 3);
  EXPECT_EQ(f.otherParts, 2);
}

// A span before 0, ending before it starts, or shorter than the block.
TEST(ScheduleCheckTest, AnnotatedSpans) {
  TwoStages t;
  BlockIndex index;
  ASSERT_FALSE(checkComplete(t.p, t.s, index));
  SimResult sim = simulate(t.p, t.s);
  ASSERT_TRUE(sim.ok);
  std::vector<std::vector<Annotated>> times = annotate(sim);
  times[0][0] = {true, -1, 0};
  ScheduleFault f = checkAnnotatedTimes(t.p, t.s, index, times);
  ASSERT_EQ(f.kind, ScheduleFault::NegativeSpan);
  EXPECT_EQ(f.at.index, 0);
  times[0][0] = {true, 1, 0.5};
  EXPECT_EQ(checkAnnotatedTimes(t.p, t.s, index, times).kind,
            ScheduleFault::NegativeSpan);
  times = annotate(sim);
  times[0][2].endMs = times[0][2].startMs + 1; // B takes 2 ms
  f = checkAnnotatedTimes(t.p, t.s, index, times);
  ASSERT_EQ(f.kind, ScheduleFault::SpanTooShort);
  EXPECT_EQ(f.at.index, 2);
  EXPECT_EQ(f.readyMs, 2.0);
}

// Every chunk needs every bucket of one reduce kind, and under ZeRO-1 an
// all-gather.
TEST(ScheduleCheckTest, CollectiveSet) {
  TwoStages t;
  EXPECT_FALSE(checkCollectiveSet(t.p, {}));
  std::vector<CollectiveNote> notes;
  for (int c = 0; c < 2; ++c)
    for (int b = 0; b < 2; ++b) {
      CollectiveNote n;
      n.chunk = c;
      n.device = c;
      n.bucket = b;
      n.buckets = 2;
      n.kind = CollectiveKind::ReduceScatter;
      notes.push_back(n);
    }
  ScheduleFault f = checkCollectiveSet(t.p, notes);
  ASSERT_EQ(f.kind, ScheduleFault::MissingCollective);
  EXPECT_EQ(f.collectiveKind, CollectiveKind::AllGather);
  EXPECT_EQ(f.block.chunk, 0);
  for (int c = 0; c < 2; ++c) {
    CollectiveNote g;
    g.chunk = g.device = c;
    g.kind = CollectiveKind::AllGather;
    notes.push_back(g);
  }
  EXPECT_FALSE(checkCollectiveSet(t.p, notes));
  notes.erase(notes.begin() + 3); // bucket 1 of chunk 1
  f = checkCollectiveSet(t.p, notes);
  ASSERT_EQ(f.kind, ScheduleFault::MissingCollective);
  EXPECT_EQ(f.collectiveKind, CollectiveKind::ReduceScatter);
  EXPECT_EQ(f.block.chunk, 1);
  EXPECT_EQ(f.bucket, 1);
  EXPECT_EQ(f.buckets, 2);
  EXPECT_EQ(f.device, 1);
}

// The claims a simulation writes pass; each bent one is found.
TEST(ScheduleCheckTest, Claims) {
  TwoStages t;
  SimResult sim = simulate(t.p, t.s);
  ASSERT_TRUE(sim.ok);
  double m = sim.makespanMs;
  ScheduleClaims claims;
  claims.makespanMs = m;
  claims.lowerBoundMs = m / 2;
  claims.gap = 0.5;
  claims.optimal = false;
  for (int d = 0; d < 2; ++d)
    claims.programs.push_back({d, sim.bubbleRatio[d], sim.peakMemoryBytes[d]});
  EXPECT_FALSE(checkClaims(claims, sim));

  auto kindOf = [&](auto bend) {
    ScheduleClaims bent = claims;
    bend(bent);
    ScheduleFault f = checkClaims(bent, sim);
    return std::make_pair(f.kind, f.claim);
  };
  using F = ScheduleFault;
  EXPECT_EQ(kindOf([](ScheduleClaims &c) { c.makespanMs = -5; }),
            std::make_pair(F::ClaimMismatch, F::Makespan));
  EXPECT_EQ(kindOf([&](ScheduleClaims &c) { c.lowerBoundMs = m * 16; }),
            std::make_pair(F::ClaimMismatch, F::LowerBound));
  EXPECT_EQ(kindOf([](ScheduleClaims &c) { c.lowerBoundMs = -1; }),
            std::make_pair(F::ClaimMismatch, F::LowerBound));
  EXPECT_EQ(kindOf([](ScheduleClaims &c) { c.gap = 0.25; }),
            std::make_pair(F::ClaimMismatch, F::Gap));
  EXPECT_EQ(kindOf([](ScheduleClaims &c) { c.optimal = true; }),
            std::make_pair(F::ClaimMismatch, F::Optimal));
  EXPECT_EQ(kindOf([](ScheduleClaims &c) { c.programs[1].bubble = 0.9; }),
            std::make_pair(F::ProgramClaimMismatch, F::Bubble));
  EXPECT_EQ(kindOf([](ScheduleClaims &c) {
              c.programs[0].peakMemoryBytes.value()++;
            }),
            std::make_pair(F::ProgramClaimMismatch, F::PeakMemory));
}
} // namespace

// Transfers as a schedule carries them: none is fine; the simulated set
// passes; each bent one is found. Two devices in two datacenters, latency
// 3 ms and 2 ms of bandwidth time per message: act chunk 0 of mb 0 leaves
// at F's end (1 ms), holds the link [1, 3] and arrives at 6 ms.
TEST(ScheduleCheckTest, Transfers) {
  Problem p = makeUniform(2, 2, 2, false, 1, 2, 0, 3, 2);
  Schedule s;
  s.order = {
      {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::B, 0, 0), blk(K::B, 0, 1)},
      {blk(K::F, 1, 0), blk(K::B, 1, 0), blk(K::F, 1, 1), blk(K::B, 1, 1)}};
  SimResult sim = simulate(p, s);
  ASSERT_TRUE(sim.ok) << sim.error;
  std::vector<TransferNote> notes;
  for (const TransferEvent &t : sim.transfers)
    notes.push_back({t.gradient, t.boundary(), t.mb, t.srcDevice,
                     t.dstDevice, true, t.occupancy.startMs,
                     t.occupancy.endMs, t.arrivalMs});
  ASSERT_EQ(notes.size(), 4u);
  const TransferNote &first = notes[0];
  EXPECT_FALSE(first.gradient);
  EXPECT_EQ(first.mb, 0);
  EXPECT_DOUBLE_EQ(first.startMs, 1);
  EXPECT_DOUBLE_EQ(first.endMs, 3);
  EXPECT_DOUBLE_EQ(first.arrivalMs, 6);
  EXPECT_FALSE(checkTransfers(sim, {}));
  EXPECT_FALSE(checkTransfers(sim, notes));

  std::vector<TransferNote> untimed = notes;
  for (TransferNote &n : untimed)
    n.timed = false;
  EXPECT_FALSE(checkTransfers(sim, untimed));

  auto bent = [&](auto bend) {
    std::vector<TransferNote> b = notes;
    bend(b);
    return checkTransfers(sim, b);
  };
  ScheduleFault f = bent([](auto &b) { b[1].mb = 7; });
  EXPECT_EQ(f.kind, ScheduleFault::UnknownTransfer);
  EXPECT_EQ(f.transfer, 1);
  f = bent([](auto &b) { b.push_back(b[2]); });
  EXPECT_EQ(f.kind, ScheduleFault::DuplicateTransfer);
  EXPECT_EQ(f.transfer, 4);
  EXPECT_EQ(f.otherTransfer, 2);
  f = bent([](auto &b) { b[0].arrivalMs = 5; });
  ASSERT_EQ(f.kind, ScheduleFault::TransferTime);
  EXPECT_EQ(f.transfer, 0);
  EXPECT_DOUBLE_EQ(f.readyMs, 5);
  EXPECT_DOUBLE_EQ(f.message.arrivalMs, 6);
  f = bent([](auto &b) { b.erase(b.begin() + 3); });
  ASSERT_EQ(f.kind, ScheduleFault::MissingTransfer);
  EXPECT_EQ(f.message.mb, notes[3].mb);
  EXPECT_EQ(f.message.gradient, notes[3].gradient);
}

// A timed collective carries its simulated span, or is refused.
TEST(ScheduleCheckTest, CollectiveTimes) {
  SimResult sim;
  CollectiveEvent c;
  c.chunk = 1;
  c.device = 1;
  c.time = {4.5, 7.5};
  sim.collectives.push_back(c);
  CollectiveNote n;
  n.device = 1;
  n.chunk = 1;
  EXPECT_FALSE(checkCollectiveTimes(sim, {n})); // untimed
  n.time = {true, 4.5, 7.5};
  EXPECT_FALSE(checkCollectiveTimes(sim, {n}));
  n.time.endMs = 9;
  ScheduleFault f = checkCollectiveTimes(sim, {n});
  ASSERT_EQ(f.kind, ScheduleFault::CollectiveTime);
  EXPECT_EQ(f.collective, 0);
  EXPECT_DOUBLE_EQ(f.simStartMs, 4.5);
  EXPECT_DOUBLE_EQ(f.simEndMs, 7.5);
}
