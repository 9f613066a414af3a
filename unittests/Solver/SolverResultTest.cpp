//===- SolverResultTest.cpp - What every solver answer must satisfy -------===//
//
// On problems too large to prove within the small failure budgets used here,
// the answer must still be sound: a whole-block schedule that simulates to
// exactly the makespan claimed, within the memory budget, no worse than the
// seed, with a bound below it that is at least the analytic one, a gap that
// matches both, a monotone progress curve, and the same answer on every run.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"
#include "crosspipe/Solver/OptimalSolver.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

SolverResult solveWithin(const Problem &p, uint64_t failures) {
  SolverOptions o;
  o.timeLimitSeconds = 120;
  o.failLimit = failures;
  return solveOptimal(p, o);
}

void expectSound(const Problem &p, const SolverResult &r) {
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.schedule.algorithm, "optimal");
  SimResult sim = simulate(p, r.schedule);
  ASSERT_TRUE(sim.ok) << sim.error;
  EXPECT_EQ(sim.makespanMs, r.makespanMs);
  for (int d = 0; d < p.numDevices(); ++d)
    EXPECT_LE(sim.peakMemoryBytes[d], p.memoryLimit(d)) << "device " << d;
  for (const std::vector<Block> &order : r.schedule.order)
    for (const Block &b : order)
      EXPECT_EQ(b.parts, 1);
  EXPECT_LE(r.makespanMs, r.seedMakespanMs);
  EXPECT_LE(r.lowerBoundMs, r.makespanMs);
  EXPECT_GE(r.lowerBoundMs, computeLowerBound(p).makespanMs - 1e-9);
  EXPECT_NEAR(r.gap, (r.makespanMs - r.lowerBoundMs) / r.makespanMs, 1e-12);
  EXPECT_EQ(r.optimal, r.gap == 0);
  ASSERT_FALSE(r.progress.empty());
  EXPECT_EQ(r.progress.front().makespanMs, r.seedMakespanMs);
  EXPECT_EQ(r.progress.back().makespanMs, r.makespanMs);
  for (size_t i = 1; i < r.progress.size(); ++i) {
    EXPECT_LE(r.progress[i].makespanMs, r.progress[i - 1].makespanMs);
    EXPECT_GE(r.progress[i].lowerBoundMs, r.progress[i - 1].lowerBoundMs);
    EXPECT_GE(r.progress[i].seconds, r.progress[i - 1].seconds);
  }
}

Problem withDp(Problem p, int buckets, bool zero1) {
  p.dpDegree = 2;
  p.dpSpan = DpSpan::CrossDc;
  p.dpBuckets = buckets;
  p.zero1 = zero1;
  for (int c = 0; c < p.numChunks(); ++c)
    p.chunks[c].gradientBytes = kMessageBytes * uint64_t(1 + c % 3);
  return p;
}

TEST(SolverResult, SoundOnHarderProblems) {
  std::vector<Problem> problems;
  Problem ud = makeUniform(4, 2, 8, true, 1, 1, 1, 4, 0.5);
  ud.memoryLimitBytes = ud.limitsRelativeTo1F1B(1.0);
  problems.push_back(ud);
  Problem wave = makeUniform(4, 2, 6, false, 1, 2, 0, 2, 1, Placement::Wave);
  wave.memoryLimitBytes.assign(4, 4 * kMiB);
  problems.push_back(withDp(wave, 2, false));
  problems.push_back(
      withDp(makeUniform(4, 2, 6, true, 1, 1, 1, 3, 1, Placement::Interleaved),
             1, true));
  for (size_t i = 0; i < problems.size(); ++i) {
    SCOPED_TRACE("problem " + std::to_string(i));
    expectSound(problems[i], solveWithin(problems[i], 3000));
  }
}

TEST(SolverResult, InexactTimesKeepTheClaimExact) {
  // 64 MiB at 300 Gbit/s is 1.789569706... ms: no unit is exact, so the
  // model rounds up, and the simulator still has the last word.
  Problem p = makeUniform(4, 2, 6, true, 1.1, 0.7, 0.9, 3.3, 0);
  for (DcLink &l : p.links)
    if (l.fromDc != l.toDc)
      l.cost.bandwidthGbps = 300;
  for (Chunk &c : p.chunks)
    c.messageBytes = 64 * kMiB;
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  SolverResult r = solveWithin(p, 3000);
  expectSound(p, r);
  EXPECT_FALSE(r.exactTimes);
  EXPECT_GT(r.unitsPerMs, 1000);
}

TEST(SolverResult, DeterministicWithOneThread) {
  Problem p = makeUniform(4, 2, 6, false, 1, 2, 0, 2, 1, Placement::Wave);
  p.memoryLimitBytes.assign(4, 4 * kMiB);
  SolverResult a = solveWithin(p, 2000), b = solveWithin(p, 2000);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.makespanMs, b.makespanMs);
  EXPECT_EQ(a.lowerBoundMs, b.lowerBoundMs);
  EXPECT_EQ(a.failures, b.failures);
  ASSERT_EQ(a.schedule.order.size(), b.schedule.order.size());
  for (size_t d = 0; d < a.schedule.order.size(); ++d)
    EXPECT_TRUE(a.schedule.order[d] == b.schedule.order[d]) << "device " << d;
}

TEST(SolverResult, RejectsASeedOverTheBudget) {
  Problem p = makeUniform(2, 1, 4, false, 1, 2, 0, 0, 0);
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  SolverOptions o;
  o.seed = refGPipe(p); // Holds all four activations on device 0.
  SolverResult r = solveOptimal(p, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "the seed schedule exceeds the memory budget of device 0");
}

// Recomputation: the budget holds one whole activation beside the
// checkpoints, so all four microbatches fit; without a limit the solver
// solves with the longer backward (B = 2 + F = 3 ms): device 1 runs
// 1 + 4 x (1 + 3) ms, then device 0's last B, 20 ms either way.
TEST(SolverResult, RecomputeWithAndWithoutALimit) {
  Problem p = makeUniform(2, 1, 4, false, 1, 2, 0, 0, 0);
  for (Chunk &c : p.chunks) {
    c.recompute = true;
    c.checkpointBytes = kMiB / 4;
  }
  p.memoryLimitBytes.assign(2, kMiB + kMiB / 2);
  SolverResult limited = solveWithin(p, 100000);
  expectSound(p, limited);
  EXPECT_DOUBLE_EQ(limited.makespanMs, 20);
  p.memoryLimitBytes.clear();
  SolverResult free = solveWithin(p, 100000);
  expectSound(p, free);
  EXPECT_DOUBLE_EQ(free.makespanMs, 20);
}

TEST(SolverResult, ReportsWhatTheGreedyCannotSchedule) {
  Problem p = makeUniform(2, 1, 4, false, 1, 2, 0, 0, 0);
  p.memoryLimitBytes.assign(2, kMiB / 2);
  SolverResult r = solveOptimal(p);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.error.empty());
}

} // namespace

namespace {

/// A pipeline the greedy does not solve optimally within its analytic
/// bound: 8 devices over two datacenters, 32 microbatches, 1F1B memory.
Problem twoDcPipeline(int devices, int microbatches) {
  Problem p;
  p.name = "limits";
  p.numMicrobatches = microbatches;
  p.splitBackward = true;
  p.datacenters.resize(2);
  p.datacenters[0].numDevices = devices / 2;
  p.datacenters[1].numDevices = devices - devices / 2;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      if (a != b)
        link.cost.latencyMs = 4;
      p.links.push_back(link);
    }
  for (int c = 0; c < devices; ++c) {
    Chunk ch;
    ch.device = c;
    ch.forwardMs = ch.dgradMs = ch.wgradMs = 1;
    ch.backwardMs = 2;
    ch.activationBytes = kMiB;
    ch.messageBytes = 125000000;
    p.chunks.push_back(ch);
  }
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  return p;
}

TEST(SolverLimits, RefusesAbsurdThreadCounts) {
  Problem p = twoDcPipeline(4, 4);
  for (int threads : {0, -3, kMaxSolverThreads + 1, 100000, 99999999}) {
    SolverOptions o;
    o.threads = threads;
    SolverResult r = solveOptimal(p, o);
    EXPECT_FALSE(r.ok) << threads;
    EXPECT_NE(r.error.find("threads must be between 1 and 1024"),
              std::string::npos)
        << r.error;
  }
}

TEST(SolverLimits, PassedDeadlineReturnsTheSeed) {
  Problem p = twoDcPipeline(8, 32);
  for (double limit : {0.0, 1e-9, -1.0}) {
    SolverOptions o;
    o.timeLimitSeconds = limit;
    SolverResult r = solveOptimal(p, o);
    expectSound(p, r);
    EXPECT_FALSE(r.optimal);
    EXPECT_GT(r.gap, 0);
    EXPECT_EQ(r.makespanMs, r.seedMakespanMs);
    EXPECT_EQ(r.lowerBoundMs, r.analyticLowerBoundMs);
    EXPECT_EQ(r.nodes, 0u);
    EXPECT_NE(r.note.find("time limit"), std::string::npos) << r.note;
  }
}

TEST(SolverLimits, MemoryCapRefusesAHugeModel) {
  Problem p = twoDcPipeline(8, 32);
  SolverOptions o;
  o.memoryLimitMiB = 1;
  o.failLimit = 1000;
  SolverResult r = solveOptimal(p, o);
  expectSound(p, r);
  EXPECT_EQ(r.makespanMs, r.seedMakespanMs);
  EXPECT_EQ(r.nodes, 0u);
  EXPECT_NE(r.note.find("memory limit of 1 MiB"), std::string::npos) << r.note;
  EXPECT_NE(r.note.find("memoryLimitMiB"), std::string::npos) << r.note;
}

TEST(SolverLimits, DefaultCapLeavesSmallModelsAlone) {
  Problem p = twoDcPipeline(4, 8);
  SolverOptions o;
  o.failLimit = 2000;
  SolverResult r = solveOptimal(p, o);
  expectSound(p, r);
  EXPECT_EQ(r.note, "");
}

} // namespace

namespace {

SolverOptions withResolution(double ms) {
  SolverOptions o;
  o.timeLimitSeconds = 120;
  o.failLimit = 200000;
  o.timeResolutionMs = ms;
  return o;
}

// The model's time unit: automatic (the coarsest exact one, here 1 ms for
// 1 ms blocks and links), or given. Where no unit makes every duration
// exact (a message takes 1/3 ms), the solver proves the optimum of its
// rounded model and says so: optimal within the resolution, with a gap no
// larger than what the rounding can add.
TEST(SolverResult, TimeResolution) {
  Problem exact = makeUniform(4, 2, 8, true, 1, 1, 1, 1, 0);
  exact.memoryLimitBytes = exact.limitsRelativeTo1F1BPeak(1.0);
  SolverResult automatic = solveOptimal(exact, withResolution(0));
  ASSERT_TRUE(automatic.ok) << automatic.error;
  EXPECT_EQ(automatic.resolutionMs, 1.0);
  EXPECT_TRUE(automatic.exactTimes);
  EXPECT_TRUE(automatic.optimal);
  EXPECT_TRUE(automatic.optimalWithinResolution);
  SolverResult fine = solveOptimal(exact, withResolution(0.1));
  ASSERT_TRUE(fine.ok) << fine.error;
  EXPECT_DOUBLE_EQ(fine.resolutionMs, 0.1);
  EXPECT_TRUE(fine.optimal);
  EXPECT_DOUBLE_EQ(fine.makespanMs, automatic.makespanMs);

  Problem third = makeUniform(4, 2, 8, true, 1, 1, 1, 1, 1.0 / 3);
  third.memoryLimitBytes = third.limitsRelativeTo1F1BPeak(1.0);
  SolverResult r = solveOptimal(third, withResolution(0));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.exactTimes);
  EXPECT_LT(r.resolutionMs, 1e-5);
  EXPECT_TRUE(r.optimalWithinResolution);
  EXPECT_LE(r.makespanMs - r.lowerBoundMs, r.roundingMs + 1e-9);
  EXPECT_LT(r.gap, 1e-4);

  SolverOptions bad = withResolution(-1);
  EXPECT_EQ(solveOptimal(third, bad).error,
            "the time resolution must be a finite number of ms >= 0");
}

} // namespace
