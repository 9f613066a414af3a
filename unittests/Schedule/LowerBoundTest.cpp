//===- LowerBoundTest.cpp - Lower bounds: valid and tight where exact -----===//
//
// Validity: on tiny problems with random costs, delays, DP and memory
// budgets, every per-device order is enumerated and simulated; the bound
// must never exceed the best makespan found, and every baseline that fits
// the budget must be no better than it. Tightness: on cases with a known
// optimum (one microbatch without delay, 1F1B, ZB-H1 and ZB-V with equal
// blocks, a device that holds one activation, a DP tail) the bound equals it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

constexpr double kEps = 1e-9;

/// All orders of each device's blocks that respect same-device precedence,
/// combined across devices; returns the best makespan among the ones that
/// simulate without deadlock and fit the memory budget (+inf if none).
double bruteForceOptimum(const Problem &p, long *simulated = nullptr) {
  int numDev = p.numDevices(), numChunks = p.numChunks();
  BlockKind back = p.splitBackward ? BlockKind::D : BlockKind::B;
  std::vector<std::vector<std::vector<Block>>> perDevice(numDev);
  for (int d = 0; d < numDev; ++d) {
    std::vector<Block> blocks;
    for (int c = 0; c < numChunks; ++c) {
      if (p.chunks[c].device != d)
        continue;
      for (int mb = 0; mb < p.numMicrobatches; ++mb) {
        blocks.push_back(blk(BlockKind::F, c, mb));
        blocks.push_back(blk(back, c, mb));
        if (p.splitBackward)
          blocks.push_back(blk(BlockKind::W, c, mb));
      }
    }
    auto placedBefore = [&](const std::vector<Block> &prefix, Block b) {
      for (const Block &x : prefix)
        if (x == b)
          return true;
      return false;
    };
    // Same-device producers of b that must already be in the prefix.
    auto ready = [&](const std::vector<Block> &prefix, const Block &b) {
      std::vector<Block> need;
      if (b.kind == BlockKind::F && b.chunk > 0)
        need.push_back(blk(BlockKind::F, b.chunk - 1, b.mb));
      if (b.kind == back) {
        need.push_back(blk(BlockKind::F, b.chunk, b.mb));
        if (b.chunk + 1 < numChunks)
          need.push_back(blk(back, b.chunk + 1, b.mb));
      }
      if (b.kind == BlockKind::W)
        need.push_back(blk(BlockKind::D, b.chunk, b.mb));
      for (const Block &n : need)
        if (p.chunks[n.chunk].device == d && !placedBefore(prefix, n))
          return false;
      return true;
    };
    std::vector<Block> prefix;
    std::vector<bool> used(blocks.size(), false);
    std::function<void()> dfs = [&]() {
      if (prefix.size() == blocks.size()) {
        perDevice[d].push_back(prefix);
        return;
      }
      for (size_t i = 0; i < blocks.size(); ++i) {
        if (used[i] || !ready(prefix, blocks[i]))
          continue;
        used[i] = true;
        prefix.push_back(blocks[i]);
        dfs();
        prefix.pop_back();
        used[i] = false;
      }
    };
    dfs();
  }
  Schedule s;
  s.order.resize(numDev);
  double best = INFINITY;
  long count = 0;
  std::function<void(int)> combine = [&](int d) {
    if (d == numDev) {
      SimResult r = simulate(p, s);
      ++count;
      if (!r.ok)
        return;
      for (int e = 0; e < numDev; ++e)
        if (r.peakMemoryBytes[e] > p.memoryLimit(e))
          return;
      best = std::min(best, r.makespanMs);
      return;
    }
    for (const std::vector<Block> &o : perDevice[d]) {
      s.order[d] = o;
      combine(d + 1);
    }
  };
  combine(0);
  if (simulated)
    *simulated = count;
  return best;
}

/// Random costs, delays, DP and (sometimes) a budget on one device.
void randomize(Problem &p, std::mt19937 &rng) {
  std::uniform_real_distribution<double> time(0.2, 2.0), scale(0.2, 1.5);
  for (Chunk &c : p.chunks) {
    c.forwardMs = time(rng);
    c.backwardMs = p.splitBackward ? 0 : time(rng);
    c.dgradMs = p.splitBackward ? time(rng) : 0;
    c.wgradMs = p.splitBackward ? time(rng) : 0;
    c.messageBytes = uint64_t(double(kMessageBytes) * scale(rng));
    c.gradientBytes = uint64_t(double(kMessageBytes) * scale(rng));
  }
  for (DcLink &link : p.links) {
    link.cost.latencyMs = link.fromDc == link.toDc ? 0 : time(rng) - 0.2;
    link.cost.bandwidthGbps = 1000.0 / time(rng);
  }
  p.dpDegree = rng() % 3 == 0 ? 2 : 1;
  p.memoryLimitBytes.clear();
  if (rng() % 2) {
    p.memoryLimitBytes.assign(p.numDevices(), kUnlimited);
    int d = int(rng() % p.numDevices());
    p.memoryLimitBytes[d] = uint64_t(1 + rng() % p.numMicrobatches) * kMiB;
  }
}

void checkBoundAgainstOptimum(const Problem &p, const std::string &what,
                              long expectOrders = -1) {
  long simulated = 0;
  double opt = bruteForceOptimum(p, &simulated);
  // The count of order combinations, derived by hand per shape, shows the
  // enumeration is complete.
  if (expectOrders >= 0) {
    EXPECT_EQ(simulated, expectOrders) << what;
  }
  LowerBound lb = computeLowerBound(p);
  if (!lb.memoryFeasible) {
    EXPECT_EQ(opt, INFINITY) << what;
  }
  if (opt == INFINITY)
    return;
  EXPECT_LE(lb.makespanMs, opt + kEps) << what;
  EXPECT_LE(lb.deviceBoundMs, opt + kEps) << what;
  EXPECT_LE(lb.roundTripBoundMs, opt + kEps) << what;
  EXPECT_LE(lb.memoryBoundMs, opt + kEps) << what;
  EXPECT_LE(lb.dpTailBoundMs, opt + kEps) << what;
  EXPECT_LE(lb.sequenceBoundMs, opt + kEps) << what;
  EXPECT_LE(lb.linkBoundMs, opt + kEps) << what;
  for (BaselineKind kind : allBaselineKinds()) {
    BaselineResult b = buildBaseline(p, kind);
    if (!b.ok)
      continue;
    SimResult r = simulate(p, b.schedule);
    ASSERT_TRUE(r.ok) << r.error;
    bool fits = true;
    for (int d = 0; d < p.numDevices(); ++d)
      fits &= r.peakMemoryBytes[d] <= p.memoryLimit(d);
    if (fits) {
      EXPECT_GE(r.makespanMs, opt - kEps) << what << " " << baselineName(kind);
    }
  }
}

TEST(LowerBoundTest, NeverAboveBruteForceOptimum) {
  struct Shape {
    const char *name;
    int devices, m;
    bool split;
    Placement placement;
    int perDevice, instances;
    /// Orders per device, multiplied: linear extensions of the chains of
    /// same-device dependencies, e.g. three F->B chains: 6!/2^3 = 90.
    long orders;
  } shapes[] = {
      {"ud fused P2 M3", 2, 3, false, Placement::Unidirectional, 1, 12,
       90 * 90},
      {"ud split P2 M2", 2, 2, true, Placement::Unidirectional, 1, 25, 20 * 20},
      {"ud fused P3 M2", 3, 2, false, Placement::Unidirectional, 1, 25,
       6 * 6 * 6},
      {"loop split P2 M1", 2, 1, true, Placement::Interleaved, 2, 25, 20 * 20},
      // Device 1 runs F1 F2 D2, then W2 anywhere around D1 W1.
      {"wave split P2 M1", 2, 1, true, Placement::Wave, 2, 25, 20 * 3},
      {"wave fused P2 M2", 2, 2, false, Placement::Wave, 2, 1, 2520 * 70},
  };
  for (const Shape &sh : shapes)
    for (int i = 0; i < sh.instances; ++i) {
      std::mt19937 rng(1000 * i + sh.devices * 17 + sh.m);
      Problem p = makeUniform(sh.devices, 2, sh.m, sh.split, 1, 1, 1, 0, 0,
                              sh.placement, sh.perDevice);
      randomize(p, rng);
      checkBoundAgainstOptimum(
          p, std::string(sh.name) + " #" + std::to_string(i), sh.orders);
    }
}

TEST(LowerBoundTest, ShiftedOriginStaysValid) {
  // Chunk 0 on device 1: the makespan starts at device 0's first F, which
  // any schedule may delay, so only device 0's own work bounds it.
  for (int i = 0; i < 10; ++i) {
    std::mt19937 rng(i);
    Problem p = makeUniform(2, 2, 3, false, 1, 1, 1, 0, 0);
    p.placement = Placement::Custom;
    p.chunks[0].device = 1;
    p.chunks[1].device = 0;
    randomize(p, rng);
    checkBoundAgainstOptimum(p, "shifted #" + std::to_string(i));
  }
}

TEST(LowerBoundTest, RoundTripIsExactForOneMicrobatchWithoutDelay) {
  for (bool split : {false, true})
    for (int seed = 0; seed < 10; ++seed) {
      std::mt19937 rng(seed);
      Problem p = makeUniform(4, 1, 1, split, 1, 1, 1, 0, 0);
      randomize(p, rng);
      p.dpDegree = 1;
      p.memoryLimitBytes.clear();
      for (DcLink &link : p.links)
        link.cost = LinkCost();
      LowerBound lb = computeLowerBound(p);
      SimResult r = simulate(p, refOneFOneB(p));
      ASSERT_TRUE(r.ok);
      EXPECT_NEAR(lb.roundTripBoundMs, r.makespanMs, kEps);
      EXPECT_NEAR(lb.makespanMs, r.makespanMs, kEps);
    }
}

TEST(LowerBoundTest, ExactForOneFOneBZBH1AndZBVWithEqualBlocks) {
  for (int p = 2; p <= 5; ++p)
    for (int m : {p, 2 * p, 3 * p + 1}) {
      Problem fused = makeUniform(p, 1, m, false, 1, 2, 0, 0, 0);
      EXPECT_NEAR(computeLowerBound(fused).makespanMs, (m + p - 1) * 3.0, kEps);
      Problem split = makeUniform(p, 1, m, true, 1, 1, 1, 0, 0);
      EXPECT_NEAR(computeLowerBound(split).makespanMs, 3.0 * m + p - 1, kEps);
      if (m >= 2 * p) {
        Problem wave =
            makeUniform(p, 1, m, true, 1, 1, 1, 0, 0, Placement::Wave);
        EXPECT_NEAR(computeLowerBound(wave).makespanMs, 6.0 * m + p - 1, kEps);
      }
    }
}

TEST(LowerBoundTest, MemoryBoundIsExactWhenOneActivationFits) {
  // Device 0 holds one activation: every microbatch makes its whole round
  // trip (f + f + b + b plus two hops) before the next one starts, and the
  // serial order F0 B0 F1 B1 ... achieves exactly that.
  for (double lat : {0.0, 1.5})
    for (int m : {1, 2, 5}) {
      Problem p = makeUniform(2, 2, m, false, 1, 1, 0, lat, 0.5);
      p.memoryLimitBytes = {kMiB, kUnlimited};
      LowerBound lb = computeLowerBound(p);
      double serial = m * (4 + 2 * (lat + 0.5));
      EXPECT_NEAR(lb.memoryBoundMs, serial, kEps);
      EXPECT_NEAR(lb.makespanMs, serial, kEps);
      Schedule s;
      s.order.resize(2);
      for (int mb = 0; mb < m; ++mb)
        for (int c = 0; c < 2; ++c) {
          s.order[c].push_back(blk(BlockKind::F, c, mb));
          s.order[c].push_back(blk(BlockKind::B, c, mb));
        }
      SimResult r = simulate(p, s);
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_NEAR(r.makespanMs, serial, kEps);
      EXPECT_EQ(r.peakMemoryBytes[0], kMiB);
      if (m <= 2) {
        EXPECT_NEAR(bruteForceOptimum(p), serial, kEps);
      }
    }
}

TEST(LowerBoundTest, TurnBoundIsExactOnATightWaveTurn) {
  // Wave on 2 devices: device 1 runs chunks 1 and 2 (the turn) and holds
  // two activations, so microbatch m + 1's F(2) waits until m has run D and
  // W of both chunks and F(1, m + 1) (three would not fit), all after m's
  // round trip through device 0 (2 + 2 hop). Per microbatch: F(2) + round
  // trip + 5 blocks; head 2 + hop; after the last: F(2), the round trip,
  // D(2) and the gradient chain D(1), hop, D(0), W(0). Fused: 3 blocks in
  // the window, B(2) + B(1), hop, B(0) after. The greedy reaches it.
  for (bool split : {true, false})
    for (double lat : {0.0, 1.0, 2.5})
      for (int m : {2, 3, 5}) {
        Problem p =
            makeUniform(2, 2, m, split, 1, 1, 1, lat, 0.5, Placement::Wave);
        p.memoryLimitBytes = {kUnlimited, 2 * kMiB};
        double hop = lat + 0.5;
        double exact = split ? 9 + 4 * hop + (m - 1) * (8 + 2 * hop)
                             : 8 + 4 * hop + (m - 1) * (6 + 2 * hop);
        std::string what = std::string(split ? "split" : "fused") + " lat " +
                           std::to_string(lat) + " m " + std::to_string(m);
        LowerBound lb = computeLowerBound(p);
        EXPECT_NEAR(lb.memoryBoundMs, exact, kEps) << what;
        EXPECT_NEAR(lb.makespanMs, exact, kEps) << what;
        GreedyResult g = scheduleGreedy(p);
        ASSERT_TRUE(g.ok) << g.error;
        EXPECT_NEAR(g.makespanMs, exact, kEps) << what;
        // A third activation lifts the turn's constraint.
        p.memoryLimitBytes = {kUnlimited, 3 * kMiB};
        EXPECT_LT(computeLowerBound(p).memoryBoundMs, exact - 1) << what;
      }
}

TEST(LowerBoundTest, TurnBoundNeverAboveOptimum) {
  // Random costs and delays with device 1's budget tight at the turn:
  // below the enumerated optimum (fused, 2 microbatches), and below the
  // greedy's makespan on larger and split cases.
  for (int i = 0; i < 6; ++i) {
    std::mt19937 rng(77 + i);
    Problem p = makeUniform(2, 2, 2, false, 1, 1, 1, 0, 0, Placement::Wave);
    randomize(p, rng);
    p.memoryLimitBytes = {kUnlimited, 2 * kMiB};
    checkBoundAgainstOptimum(p, "wave fused turn #" + std::to_string(i),
                             2520 * 70);
  }
  for (int i = 0; i < 40; ++i) {
    std::mt19937 rng(500 + i);
    int devices = 2 + i % 3;
    Problem p = makeUniform(devices, 2, 2 + i % 5, i % 2 == 0, 1, 1, 1, 0, 0,
                            Placement::Wave);
    randomize(p, rng);
    p.memoryLimitBytes.assign(devices, kUnlimited);
    // The turn device: its two chunks' activations, plus one chunk's more
    // at random (which lifts the condition).
    p.memoryLimitBytes[devices - 1] = (2 + i % 4 / 3) * kMiB;
    GreedyResult g = scheduleGreedy(p);
    ASSERT_TRUE(g.ok) << g.error;
    LowerBound lb = computeLowerBound(p);
    EXPECT_LE(lb.makespanMs, g.makespanMs + kEps) << "case " << i;
  }
}

TEST(LowerBoundTest, PendingWeightGradientsAreCappedByMemory) {
  // One device per datacenter, F = D = W = 1, hop 3 (latency 2.5 + 0.5),
  // M microbatches, device 1 (the last stage) may hold k activations. After
  // its last D at most k W's are pending (each holds its activation), so
  // M - k of them ran before: device 1 ends its last D at least at its
  // head 1 + 3 plus 2M + (M - k), and the gradient's hop, D0 and W0 (5)
  // follow. Unlimited, all W may wait: 4 + 2M + max(M, 5).
  for (int m : {4, 8})
    for (int k : {1, 2, 3}) {
      Problem p = makeUniform(2, 2, m, true, 1, 1, 1, 2.5, 0.5);
      p.memoryLimitBytes = {kUnlimited, uint64_t(k) * kMiB};
      LowerBound lb = computeLowerBound(p);
      EXPECT_NEAR(lb.deviceBoundMs, 4 + 2 * m + (m - k) + 5, kEps)
          << "M " << m << " k " << k;
      EXPECT_LE(lb.makespanMs, scheduleGreedy(p).makespanMs + kEps);
      p.memoryLimitBytes.clear();
      EXPECT_NEAR(computeLowerBound(p).deviceBoundMs,
                  4 + 2 * m + std::max(m, 5), kEps);
    }
}

TEST(LowerBoundTest, DataParallelTailIsExactOnOneDevice) {
  // The SimulatorTest case: chunks 0 and 1 on one device, last B's end at
  // 3 (chunk 1) and 4 (chunk 0), all-reduces of 6 and 3 ms: 3 + 6 + 3.
  Problem p =
      makeUniform(1, 1, 1, false, 1.0, 1.0, 0, 0, 0, Placement::Interleaved, 2);
  p.dpDegree = 2;
  p.links[0].cost.bandwidthGbps = 1000.0 / 3.0;
  p.chunks[0].messageBytes = p.chunks[1].messageBytes = 0;
  p.chunks[0].gradientBytes = kMessageBytes;
  p.chunks[1].gradientBytes = 2 * kMessageBytes;
  LowerBound lb = computeLowerBound(p);
  EXPECT_NEAR(lb.dpTailBoundMs, 12.0, kEps);
  EXPECT_NEAR(lb.makespanMs, 12.0, kEps);
  EXPECT_NEAR(bruteForceOptimum(p), 12.0, kEps);
}

TEST(LowerBoundTest, DetectsBudgetsNoScheduleFits) {
  // Wave: device 0 holds chunks 0 and 3, and one microbatch needs both
  // activations at once (F3 runs between F0 and W0).
  Problem p = makeUniform(2, 1, 1, true, 1, 1, 1, 0, 0, Placement::Wave);
  p.memoryLimitBytes = {2 * kMiB - 1, kUnlimited};
  LowerBound lb = computeLowerBound(p);
  EXPECT_FALSE(lb.memoryFeasible);
  EXPECT_TRUE(std::isfinite(lb.makespanMs));
  EXPECT_EQ(bruteForceOptimum(p), INFINITY);
  p.memoryLimitBytes[0] = 2 * kMiB;
  EXPECT_TRUE(computeLowerBound(p).memoryFeasible);
  EXPECT_LT(bruteForceOptimum(p), INFINITY);
}

TEST(LowerBoundTest, MalformedProblemsGiveZero) {
  Problem p = makeUniform(2, 1, 2, false, 1, 1, 0, 0, 0);
  Problem noMb = p, noChunks = p, badDevice = p;
  noMb.numMicrobatches = 0;
  noChunks.chunks.clear();
  badDevice.chunks[1].device = 9;
  for (const Problem *q : {&noMb, &noChunks, &badDevice}) {
    LowerBound lb = computeLowerBound(*q);
    EXPECT_EQ(lb.makespanMs, 0);
    EXPECT_TRUE(lb.memoryFeasible);
  }
}

TEST(LowerBoundTest, BelowEveryBaselineUnderDelays) {
  // Larger shapes than brute force allows: each baseline is a schedule, so
  // the bound may not exceed any of them.
  for (BaselineKind kind : allBaselineKinds())
    for (int seed = 0; seed < 20; ++seed) {
      std::mt19937 rng(seed);
      bool wave = kind == BaselineKind::ZBV || kind == BaselineKind::DualPipeV;
      Placement pl = wave ? Placement::Wave
                     : kind == BaselineKind::Interleaved
                         ? Placement::Interleaved
                         : Placement::Unidirectional;
      int devices = 4 + seed % 3, m = 3 + seed % 9;
      if (kind == BaselineKind::DualPipeV)
        m = std::max(m, 2 * devices);
      Problem p =
          makeUniform(devices, 2 + seed % 2, m, true, 1, 1, 1, 0, 0, pl, 2);
      randomize(p, rng);
      p.memoryLimitBytes.clear();
      BaselineResult b = buildBaseline(p, kind);
      ASSERT_TRUE(b.ok) << b.error;
      SimResult r = simulate(p, b.schedule);
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_LE(computeLowerBound(p).makespanMs, r.makespanMs + kEps)
          << baselineName(kind) << " seed " << seed;
    }
}

} // namespace
