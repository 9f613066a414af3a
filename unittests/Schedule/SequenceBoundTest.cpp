//===- SequenceBoundTest.cpp - Sequencing and link bounds -----------------===//
//
// Hand-computed values of the order-statistic sequencing bound (memory
// recycling behind a link round trip) and of the link bound (wave's two
// boundaries sharing each direction of the cross-datacenter link), and
// validity against schedules: on many small random problems the bound,
// for the schedule's part count, never exceeds the greedy's makespan nor
// that of any random valid schedule that fits the budget.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

constexpr double kEps = 1e-9;

TEST(SequenceBoundTest, MemoryRecyclingBehindARoundTrip) {
  // 8 devices in 2 datacenters (4 + 4), F = D = W = 38, a 76 ms latency and
  // 76 ms of bandwidth per message between them, 16 microbatches, every
  // device may hold 8 activations. F(0, m) start to D(0, m) start is at
  // least 8 F + 7 D + 2 (76 + 76) = 874. Device 0 holds 8 activations, so
  // its 16th F waits until 8 W's ended; those W's, their D's and the F's
  // ranked 8..14 all run on device 0 after the first D could start:
  // 874 + 8 (38 + 38) + 7 * 38 = 1748. That microbatch's round trip, D and
  // W follow: 1748 + 874 + 38 + 38 = 2698 (the device bound says less:
  // device 7's first F at 418, its F and D 1216; after its last D at most 8
  // W's (304 ms) can still hold their activations, so 304 ms of W ran
  // before, and the gradient chain D6..D0, the hop and W0 (456) follows:
  // 418 + 1216 + 304 + 456 = 2394; without the budget 418 + 1824 = 2242).
  Problem p = makeUniform(8, 2, 16, true, 38, 38, 38, 76, 76);
  p.memoryLimitBytes.assign(8, 8 * kMiB);
  LowerBound lb = computeLowerBound(p);
  EXPECT_NEAR(lb.sequenceBoundMs, 2698, kEps);
  EXPECT_NEAR(lb.makespanMs, 2698, kEps);
  EXPECT_NEAR(lb.deviceBoundMs, 2394, kEps);
  // Unlimited memory: no recycling, the device bound stands.
  p.memoryLimitBytes.clear();
  EXPECT_NEAR(computeLowerBound(p).makespanMs, 2242, kEps);
}

TEST(SequenceBoundTest, WaveSharesTheLinkBetweenTwoBoundaries) {
  // Wave on 8 devices (4 + 4), 16 chunks of F = D = W = 19, 16
  // microbatches, 76 ms latency and 76 ms per message. Each direction of
  // the cross-datacenter link carries one boundary's activations and the
  // other's gradients: 32 messages, 2432 ms. The first can leave after F0..F3
  // (76); after the last (a gradient of boundary 11) come its latency, D11..D4
  // (152), boundary 3's gradient (76 + 76), D3..D0 (76) and W0 (19): 475.
  // Hence 76 + 2432 + 475 = 2983; the device bound gives 19 * 3 * 32 plus
  // device 7's head of 7 * 19 + 152: 2109.
  Problem p = makeUniform(8, 2, 16, true, 19, 19, 19, 76, 76, Placement::Wave);
  LowerBound lb = computeLowerBound(p);
  EXPECT_NEAR(lb.linkBoundMs, 2983, kEps);
  EXPECT_NEAR(lb.makespanMs, 2983, kEps);
  EXPECT_NEAR(lb.deviceBoundMs, 2109, kEps);
}

TEST(SequenceBoundTest, LinkBoundIsExactWhenTheLinkIsTheBottleneck) {
  // Two devices in two datacenters, F = 1, B = 0, each message takes 3 ms
  // of bandwidth and 2 of latency in either direction. The M activations
  // queue behind the first F: the last window ends at 1 + 3 M, the last
  // F(1) runs at 3 + 3 M, its gradient takes 3 + 2 more: 9 + 3 M. Device 0
  // running all F's first and device 1 alternating F and B meets it.
  for (int m : {1, 2, 5}) {
    Problem p = makeUniform(2, 2, m, false, 1, 0, 0, 2, 3);
    LowerBound lb = computeLowerBound(p);
    EXPECT_NEAR(lb.linkBoundMs, 9 + 3.0 * m, kEps) << m;
    Schedule s;
    s.order.resize(2);
    for (int mb = 0; mb < m; ++mb) {
      s.order[0].push_back(blk(BlockKind::F, 0, mb));
      s.order[1].push_back(blk(BlockKind::F, 1, mb));
      s.order[1].push_back(blk(BlockKind::B, 1, mb));
    }
    for (int mb = 0; mb < m; ++mb)
      s.order[0].push_back(blk(BlockKind::B, 0, mb));
    SimResult r = simulate(p, s);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_NEAR(r.makespanMs, 9 + 3.0 * m, kEps) << m;
    EXPECT_NEAR(lb.makespanMs, r.makespanMs, kEps) << m;
  }
}

/// A small random problem: placement, datacenters, costs, links, DP and
/// (often) a budget between one microbatch and a few.
Problem randomProblem(std::mt19937 &rng) {
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  std::uniform_real_distribution<double> time(0.0, 3.0);
  Placement placement = pick(0, 2) == 0   ? Placement::Wave
                        : pick(0, 3) == 0 ? Placement::Interleaved
                                          : Placement::Unidirectional;
  bool split = pick(0, 1);
  int devices = pick(1, 4);
  Problem p = makeUniform(devices, pick(1, std::min(devices, 3)), pick(1, 9),
                          split, 1, 1, 1, 0, 0, placement, 2);
  for (Chunk &c : p.chunks) {
    c.forwardMs = time(rng);
    (split ? c.dgradMs : c.backwardMs) = time(rng);
    c.wgradMs = split ? time(rng) : 0;
    c.activationBytes = kMiB * uint64_t(pick(1, 3));
    if (split && pick(0, 1))
      c.wgradActivationBytes = c.activationBytes / uint64_t(pick(1, 4));
    c.gradientBytes = kMessageBytes / uint64_t(pick(1, 4));
  }
  for (DcLink &link : p.links)
    if (link.fromDc != link.toDc) {
      link.cost.latencyMs = pick(0, 2) ? time(rng) : 0;
      link.cost.bandwidthGbps = pick(0, 2) ? 1000.0 / (0.1 + time(rng)) : 0;
    }
  p.dpDegree = pick(0, 3) == 0 ? 2 : 1;
  if (pick(0, 2)) {
    for (int d = 0; d < p.numDevices(); ++d)
      p.memoryLimitBytes.push_back(oneMicrobatchBytes(p, d) +
                                   kMiB * uint64_t(pick(0, 6)));
  }
  return p;
}

bool fitsBudget(const Problem &p, const SimResult &r) {
  for (int d = 0; d < p.numDevices(); ++d)
    if (r.peakMemoryBytes[d] > p.memoryLimit(d))
      return false;
  return true;
}

TEST(SequenceBoundTest, NeverAboveTheGreedyOnRandomProblems) {
  int checked = 0, raised = 0;
  for (unsigned seed = 0; seed < 400; ++seed) {
    std::mt19937 rng(seed);
    Problem p = randomProblem(rng);
    GreedyOptions options;
    options.subBlocks = 1 + int(seed % 3);
    GreedyResult g = scheduleGreedy(p, options);
    if (!g.ok)
      continue;
    SimResult r = simulate(p, g.schedule);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_TRUE(fitsBudget(p, r)) << "seed " << seed;
    LowerBound lb = computeLowerBound(p, maxPartsOf(g.schedule));
    ++checked;
    raised += lb.makespanMs > std::max({lb.deviceBoundMs, lb.roundTripBoundMs,
                                        lb.memoryBoundMs, lb.dpTailBoundMs}) +
                                  kEps;
    EXPECT_LE(lb.makespanMs, r.makespanMs + kEps) << "seed " << seed;
  }
  EXPECT_GT(checked, 300);
  // The new bounds do raise the old ones on a good share of them.
  EXPECT_GT(raised, checked / 10);
}

TEST(SequenceBoundTest, NeverAboveRandomSchedulesThatFit) {
  // Random topological orders with up to 3 parts per block: interleaved
  // parts, messages queued in any order, idle devices.
  int checked = 0;
  for (unsigned seed = 0; seed < 300; ++seed) {
    std::mt19937 rng(seed + 7000);
    Problem p = randomProblem(rng);
    for (unsigned k = 0; k < 4; ++k) {
      Schedule s = randomValidSchedule(p, seed * 5 + k, 1 + int(k % 3));
      SimResult r = simulate(p, s);
      ASSERT_TRUE(r.ok) << r.error;
      if (!fitsBudget(p, r))
        continue;
      ++checked;
      EXPECT_LE(computeLowerBound(p, maxPartsOf(s)).makespanMs,
                r.makespanMs + kEps)
          << "seed " << seed << " schedule " << k;
    }
  }
  EXPECT_GT(checked, 300);
}

/// Every order statistic against one simulated schedule: the k-th start of
/// each group of blocks (whole blocks: part 0's start; last part's end).
void expectStatisticsHold(const Problem &p, const Schedule &s,
                          const SimResult &r, const std::string &what) {
  OrderStatistics stats = computeOrderStatistics(p, maxPartsOf(s));
  ASSERT_EQ(stats.headMs.size(), size_t(p.numChunks())) << what;
  int slots = p.splitBackward ? 3 : 2, m = p.numMicrobatches;
  std::vector<std::vector<double>> starts(p.numChunks() * slots),
      ends(p.numChunks() * slots);
  for (int d = 0; d < p.numDevices(); ++d)
    for (size_t i = 0; i < s.order[d].size(); ++i) {
      const Block &b = s.order[d][i];
      int g = b.chunk * slots + BlockGraph::slotOf(b.kind);
      if (b.part == 0)
        starts[g].push_back(r.times[d][i].startMs);
      if (b.part + 1 == b.parts)
        ends[g].push_back(r.times[d][i].endMs);
    }
  for (int c = 0; c < p.numChunks(); ++c)
    for (int slot = 0; slot < slots; ++slot) {
      std::vector<double> &st = starts[c * slots + slot];
      std::vector<double> &en = ends[c * slots + slot];
      std::sort(st.begin(), st.end());
      std::sort(en.rbegin(), en.rend());
      for (int k = 0; k < m; ++k) {
        EXPECT_GE(st[k] + kEps, stats.headMs[c][slot][k])
            << what << " chunk " << c << " slot " << slot << " rank " << k;
        EXPECT_GE(r.makespanMs - en[k] + kEps, stats.tailMs[c][slot][k])
            << what << " chunk " << c << " slot " << slot << " rank " << k;
      }
    }
}

TEST(SequenceBoundTest, OrderStatisticsHoldForEverySchedule) {
  // The solver takes these as releases and tails of its tasks, so each must
  // hold on its own, not only the makespan bound they add up to.
  int checked = 0;
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed + 9000);
    Problem p = randomProblem(rng);
    if (p.chunks[0].device != 0)
      continue;
    GreedyResult g = scheduleGreedy(p);
    if (g.ok) {
      SimResult r = simulate(p, g.schedule);
      ASSERT_TRUE(r.ok) << r.error;
      expectStatisticsHold(p, g.schedule, r, "greedy " + std::to_string(seed));
      ++checked;
    }
    Schedule s = randomValidSchedule(p, seed, 1 + int(seed % 3));
    SimResult r = simulate(p, s);
    ASSERT_TRUE(r.ok) << r.error;
    if (!fitsBudget(p, r))
      continue;
    expectStatisticsHold(p, s, r, "random " + std::to_string(seed));
    ++checked;
  }
  EXPECT_GT(checked, 200);
}

} // namespace
