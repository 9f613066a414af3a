//===- SolverOptimumTest.cpp - The solver's optimum against brute force ---===//
//
// On problems small enough to enumerate every schedule, the solver must
// prove optimality and reach exactly the brute-force optimum, across
// placements, fused and split backward, queued links, memory budgets and DP
// collectives (buckets and ZeRO-1 included). Failure budgets, not time,
// bound every search, so the tests do not depend on machine speed.
//
//===----------------------------------------------------------------------===//

#include "BruteForce.h"
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Solver/OptimalSolver.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

#include <random>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

SolverOptions budgeted() {
  SolverOptions o;
  o.timeLimitSeconds = 120; // A safety net; the failure budget decides.
  o.failLimit = 200000;
  return o;
}

void withDp(Problem &p, int buckets = 1, bool zero1 = false) {
  p.dpDegree = 2;
  p.dpSpan = DpSpan::CrossDc;
  p.dpBuckets = buckets;
  p.zero1 = zero1;
  for (int c = 0; c < p.numChunks(); ++c)
    p.chunks[c].gradientBytes = kMessageBytes * uint64_t(1 + c % 3);
}

/// A random valid schedule within the budget, to seed the solver with
/// something worse than the greedy; empty if none of a few tries fits.
Schedule randomSeed(const Problem &p, unsigned seed) {
  for (unsigned tries = 0; tries < 20; ++tries) {
    Schedule s = randomValidSchedule(p, seed * 31 + tries);
    SimResult r = simulate(p, s);
    bool fits = r.ok;
    for (int d = 0; fits && d < p.numDevices(); ++d)
      fits = r.peakMemoryBytes[d] <= p.memoryLimit(d);
    if (fits)
      return s;
  }
  return Schedule();
}

/// Checks the solver against brute force; returns whether the solver had to
/// improve on its seed (so the search, not the seed, found the optimum).
bool expectOptimum(const Problem &p, const Schedule &seed = Schedule()) {
  double brute = bruteForceOptimum(p);
  EXPECT_TRUE(std::isfinite(brute)) << "no schedule fits";
  // The analytic bound (sequencing and link bounds included) never
  // exceeds the optimum.
  EXPECT_LE(computeLowerBound(p).makespanMs, brute + 1e-9);
  SolverOptions options = budgeted();
  options.seed = seed;
  SolverResult r = solveOptimal(p, options);
  EXPECT_TRUE(r.ok) << r.error;
  if (!r.ok)
    return false;
  EXPECT_TRUE(r.optimal);
  EXPECT_NEAR(r.makespanMs, brute, 1e-9);
  EXPECT_NEAR(r.lowerBoundMs, r.makespanMs, 1e-9);
  EXPECT_EQ(r.gap, 0.0);
  SimResult sim = simulate(p, r.schedule);
  EXPECT_TRUE(sim.ok) << sim.error;
  EXPECT_EQ(sim.makespanMs, r.makespanMs);
  return r.makespanMs < r.seedMakespanMs;
}

TEST(SolverOptimum, QueuedLinkFused) {
  // A cross-datacenter link of 2 ms latency that carries one message per
  // 1 ms queues the three microbatches' activations.
  expectOptimum(makeUniform(2, 2, 3, false, 1, 2, 0, 2, 1));
}

TEST(SolverOptimum, QueuedLinkFusedOneFOneBMemory) {
  Problem p = makeUniform(2, 2, 3, false, 1, 2, 0, 2, 1);
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  expectOptimum(p);
}

TEST(SolverOptimum, SplitBackwardUnevenStages) {
  Problem p = makeUniform(2, 2, 2, true, 1, 1, 1, 3, 1);
  p.chunks[1].forwardMs = 2;
  p.chunks[1].wgradMs = 0.5;
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  expectOptimum(p);
}

TEST(SolverOptimum, ThreeStagesWithAllReduce) {
  Problem p = makeUniform(3, 2, 2, false, 1, 2, 0, 3, 1);
  withDp(p);
  expectOptimum(p);
}

TEST(SolverOptimum, WaveSharedBudget) {
  // Two chunks per device share 3 activations: the budget binds across
  // chunks, which the model states over the device order.
  Problem p = makeUniform(2, 2, 2, false, 1, 2, 0, 1, 1, Placement::Wave);
  p.memoryLimitBytes.assign(2, 3 * kMiB);
  expectOptimum(p);
}

// D frees 3 of a chunk's 4 MiB, W the last one: a device with 6 MiB may
// start the next F once D ended (1 + 4 MiB), not only after W, which the
// precedences alone cannot say; the budget becomes a cumulative of two
// intervals per microbatch.
TEST(SolverOptimum, PartialReleaseAtD) {
  Problem p = makeUniform(2, 2, 2, true, 1, 1, 1, 2, 1);
  for (Chunk &c : p.chunks) {
    c.activationBytes = 4 * kMiB;
    c.wgradActivationBytes = kMiB;
  }
  p.memoryLimitBytes = {6 * kMiB, 5 * kMiB};
  expectOptimum(p);
}

// Both chunks of a one-device V share 5 MiB; each holds 2 MiB until its D
// and 1 MiB of it until its W. (Two devices with split backward are beyond
// brute force.)
TEST(SolverOptimum, WavePartialReleaseSharedBudget) {
  Problem p = makeUniform(1, 1, 2, true, 1, 1, 1, 0, 0, Placement::Wave);
  for (Chunk &c : p.chunks) {
    c.activationBytes = 2 * kMiB;
    c.wgradActivationBytes = kMiB;
  }
  p.chunks[1].wgradMs = 2;
  p.memoryLimitBytes.assign(1, 5 * kMiB);
  expectOptimum(p);
}

// Recomputation: each microbatch keeps 1 MiB of its 4 MiB until its
// backward, which re-runs F and holds all 4 MiB while it runs; with split
// backward W keeps 2 MiB (more than the checkpoint) after D.
TEST(SolverOptimum, RecomputeFused) {
  Problem p = makeUniform(2, 2, 3, false, 1, 2, 0, 1, 1);
  for (Chunk &c : p.chunks) {
    c.activationBytes = 4 * kMiB;
    c.recompute = true;
    c.checkpointBytes = kMiB;
  }
  p.memoryLimitBytes = {6 * kMiB, 5 * kMiB};
  expectOptimum(p);
}

TEST(SolverOptimum, RecomputeSplit) {
  Problem p = makeUniform(2, 2, 2, true, 1, 1, 1, 2, 1);
  for (Chunk &c : p.chunks) {
    c.activationBytes = 4 * kMiB;
    c.wgradActivationBytes = 2 * kMiB;
    c.recompute = true;
    c.checkpointBytes = kMiB;
  }
  p.memoryLimitBytes = {7 * kMiB, 6 * kMiB};
  expectOptimum(p);
}

// Both chunks of a one-device V recompute and share the budget.
TEST(SolverOptimum, RecomputeWaveSharedBudget) {
  Problem p = makeUniform(1, 1, 2, true, 1, 1, 1, 0, 0, Placement::Wave);
  for (Chunk &c : p.chunks) {
    c.activationBytes = 3 * kMiB;
    c.wgradActivationBytes = kMiB / 2;
    c.recompute = true;
    c.checkpointBytes = kMiB;
  }
  p.chunks[1].recompute = false;
  p.memoryLimitBytes.assign(1, 6 * kMiB);
  expectOptimum(p);
}

TEST(SolverOptimum, BucketsAndZeroOne) {
  Problem p = makeUniform(2, 2, 2, true, 1, 1, 2, 1, 1);
  withDp(p, /*buckets=*/2, /*zero1=*/true);
  expectOptimum(p);
}

TEST(SolverOptimum, BucketedAllReduceOverlapsTheLastW) {
  Problem p = makeUniform(2, 1, 2, true, 1, 1, 2, 0, 0);
  withDp(p, /*buckets=*/4);
  p.dpSpan = DpSpan::IntraDc;
  p.links[0].cost.bandwidthGbps = 1000.0 / 4; // 4 ms per message size.
  expectOptimum(p);
}

TEST(SolverOptimum, RandomTinyProblems) {
  std::mt19937 rng(2024);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int checked = 0, improved = 0;
  for (int i = 0; checked < 24; ++i) {
    bool wave = pick(0, 3) == 0;
    bool split = !wave && pick(0, 1);
    int mb = wave || split ? 2 : pick(2, 3);
    Problem p = makeUniform(2, pick(1, 2), mb, split, pick(1, 3), pick(1, 3),
                            pick(1, 2), pick(0, 3), pick(0, 2),
                            wave ? Placement::Wave : Placement::Unidirectional);
    for (Chunk &c : p.chunks) {
      c.forwardMs = pick(1, 3);
      (split ? c.dgradMs : c.backwardMs) = pick(1, 4);
    }
    if (pick(0, 1))
      p.memoryLimitBytes.assign(2, kMiB * uint64_t(pick(wave ? 2 : 1, 3)));
    if (pick(0, 2) == 0)
      withDp(p, pick(1, 2), pick(0, 1));
    // Keep the enumeration to a few thousand simulations.
    if (bruteForceSize(p) > 20000)
      continue;
    ++checked;
    SCOPED_TRACE("random problem " + std::to_string(i));
    expectOptimum(p);
    // Again from a random schedule, far from the optimum.
    improved += expectOptimum(p, randomSeed(p, unsigned(i)));
  }
  // Some of them are beyond the greedy, so the search itself is checked.
  EXPECT_GT(improved, 0);
}

// Tiny problems whose chunks recompute (or not) at random, keeping a
// quarter of the activation, under budgets from one microbatch up.
TEST(SolverOptimum, RandomTinyRecomputeProblems) {
  std::mt19937 rng(20261202);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int checked = 0;
  for (int i = 0; checked < 16; ++i) {
    bool split = pick(0, 1);
    Problem p =
        makeUniform(2, pick(1, 2), split ? 2 : pick(2, 3), split, pick(1, 3),
                    pick(1, 3), pick(1, 2), pick(0, 3), pick(0, 2));
    for (Chunk &c : p.chunks) {
      c.forwardMs = pick(1, 3);
      c.activationBytes = 4 * kMiB;
      if (split && pick(0, 1))
        c.wgradActivationBytes = kMiB * uint64_t(pick(0, 4));
      c.recompute = pick(0, 2) > 0;
      c.checkpointBytes = kMiB * uint64_t(pick(0, 2));
    }
    for (int d = 0; d < 2; ++d)
      p.memoryLimitBytes.push_back(oneMicrobatchBytes(p, d) +
                                   kMiB * uint64_t(pick(0, 4)));
    if (bruteForceSize(p) > 20000)
      continue;
    ++checked;
    SCOPED_TRACE("random problem " + std::to_string(i));
    expectOptimum(p);
    expectOptimum(p, randomSeed(p, unsigned(i)));
  }
}

TEST(SolverOptimum, AnalyticBoundNeverAboveProvenOptima) {
  // Beyond brute force: random problems of up to 4 devices and 6
  // microbatches with queued links and budgets, whose optimum the solver
  // proves within its failure budget. The bound may not exceed any schedule,
  // and a proven optimum is the best one.
  std::mt19937 rng(77);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int proven = 0;
  for (int i = 0; i < 30; ++i) {
    bool wave = pick(0, 2) == 0;
    int devices = pick(2, 4);
    Problem p = makeUniform(devices, 2, pick(2, 6), pick(0, 1), pick(1, 3),
                            pick(1, 3), pick(1, 2), pick(0, 4), pick(0, 3),
                            wave ? Placement::Wave : Placement::Unidirectional);
    if (pick(0, 1))
      p.memoryLimitBytes.assign(devices, kMiB * uint64_t(pick(2, 4)));
    SolverOptions options = budgeted();
    options.failLimit = 20000;
    SolverResult r = solveOptimal(p, options);
    if (!r.ok)
      continue;
    SCOPED_TRACE("problem " + std::to_string(i));
    EXPECT_LE(r.analyticLowerBoundMs, r.makespanMs + 1e-9);
    proven += r.optimal;
  }
  EXPECT_GT(proven, 15);
}

TEST(SolverOptimum, ProvesThePilotsWaveScheduleOptimal) {
  // The Figure 8 wave setting at T_bw/T_F = 1.5 (Greedy,
  // PilotReachesTheWaveOptimumBehindSlowerLinks): the greedy's 1235 ms is
  // the optimum; the solver, seeded with it, proves that.
  Problem p =
      makeUniform(4, 2, 8, /*split=*/true, 19, 19, 19, 0, 57, Placement::Wave);
  p.memoryLimitBytes.assign(4, 8 * kMiB);
  SolverResult r = solveOptimal(p, budgeted());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.optimal);
  EXPECT_NEAR(r.makespanMs, 1235.0, 1e-6);
  EXPECT_NEAR(r.seedMakespanMs, 1235.0, 1e-6);
}

TEST(SolverOptimum, NeverWorseThanTheGreedyAndBeatsItWhereItCan) {
  // Wave placement with a tight shared budget and DP behind a 2 ms latency:
  // the greedy (81, with its start-up quota and local search) misses the
  // optimum (80) here, the solver finds and proves it. (At 1 ms the quota
  // brought the greedy from 76 to the optimum of 70; on 4 microbatches and
  // 3 MiB the local search finds the optimum itself.)
  Problem p = makeUniform(3, 2, 6, false, 1, 2, 0, 2, 1, Placement::Wave);
  p.memoryLimitBytes.assign(3, 4 * kMiB);
  withDp(p);
  GreedyResult greedy = scheduleGreedy(p);
  ASSERT_TRUE(greedy.ok);
  SolverResult r = solveOptimal(p, budgeted());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.seedMakespanMs, greedy.makespanMs);
  EXPECT_LT(r.makespanMs, greedy.makespanMs);
  EXPECT_GE(r.secondsToFirstSolution, 0);
}

} // namespace
