//===- BaselinesTest.cpp - Static schedules: validity and closed forms ----===//
//
// Every baseline must produce a complete, deadlock-free order on every shape
// it accepts, refuse the shapes it does not with a readable reason, and
// match the closed forms of its paper with zero delays: pipeline bubbles,
// makespans and peak activation counts. Under delays its timing is checked
// against the naive reference simulator.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Simulator.h"

#include "NaiveSimulator.h"
#include "TestProblems.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

constexpr double kEps = 1e-9;

bool sameOrders(const Schedule &a, const Schedule &b) {
  return a.order == b.order;
}

Placement placementFor(BaselineKind kind) {
  switch (kind) {
  case BaselineKind::Interleaved:
    return Placement::Interleaved;
  case BaselineKind::ZBV:
  case BaselineKind::DualPipeV:
    return Placement::Wave;
  default:
    return Placement::Unidirectional;
  }
}

SimResult run(const Problem &p, BaselineKind kind) {
  BaselineResult b = buildBaseline(p, kind);
  EXPECT_TRUE(b.ok) << baselineName(kind) << ": " << b.error;
  EXPECT_EQ(b.schedule.algorithm, baselineName(kind));
  return simulate(p, b.schedule);
}

TEST(BaselinesTest, NamesRoundTrip) {
  const char *names[] = {"gpipe", "1f1b",  "interleaved",
                         "zb-h1", "zb-v", "dualpipe-v"};
  std::vector<BaselineKind> kinds = allBaselineKinds();
  ASSERT_EQ(kinds.size(), 6u);
  for (size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_STREQ(baselineName(kinds[i]), names[i]);
    EXPECT_EQ(parseBaselineName(names[i]), kinds[i]);
  }
  EXPECT_FALSE(parseBaselineName("greedy").has_value());
  EXPECT_FALSE(parseBaselineName("1F1B").has_value());
  EXPECT_FALSE(parseBaselineName("").has_value());
}

TEST(BaselinesTest, RefusesShapesItCannotSchedule) {
  Problem wave = makeUniform(4, 1, 8, true, 1, 1, 1, 0, 0, Placement::Wave);
  Problem loop =
      makeUniform(4, 1, 8, true, 1, 1, 1, 0, 0, Placement::Interleaved, 2);
  Problem udFused = makeUniform(4, 1, 8, false, 1, 2, 0, 0, 0);
  Problem udSplit = makeUniform(4, 1, 8, true, 1, 1, 1, 0, 0);
  Problem waveFused =
      makeUniform(4, 1, 8, false, 1, 2, 0, 0, 0, Placement::Wave);
  Problem shared = udSplit;
  shared.placement = Placement::Custom;
  shared.chunks[2].device = 1;
  Problem oddLoop = loop;
  oddLoop.placement = Placement::Custom;
  oddLoop.chunks.pop_back();
  Problem waveShort = wave;
  waveShort.placement = Placement::Custom;
  waveShort.chunks.resize(6);
  Problem empty = udSplit;
  empty.numMicrobatches = 0;
  struct Case {
    const Problem *problem;
    BaselineKind kind;
    const char *expect;
  } cases[] = {
      {&wave, BaselineKind::OneFOneB,
       "1f1b needs a unidirectional placement, got wave"},
      {&loop, BaselineKind::GPipe,
       "gpipe needs a unidirectional placement, got interleaved"},
      {&wave, BaselineKind::ZBH1,
       "zb-h1 needs a unidirectional placement, got wave"},
      {&shared, BaselineKind::OneFOneB,
       "1f1b needs a unidirectional placement (one chunk per device), but "
       "device 1 holds chunks 1 and 2"},
      {&udFused, BaselineKind::ZBH1,
       "zb-h1 needs split backward (D and W), got fused B"},
      {&waveFused, BaselineKind::ZBV,
       "zb-v needs split backward (D and W), got fused B"},
      {&udSplit, BaselineKind::ZBV,
       "zb-v needs a wave placement with two chunks per device (8 chunks), "
       "got unidirectional"},
      {&loop, BaselineKind::ZBV, "got interleaved"},
      {&waveShort, BaselineKind::ZBV, "(8 chunks), got 6 chunks"},
      {&wave, BaselineKind::Interleaved,
       "interleaved needs a loop placement (chunk c on device c mod P, a "
       "multiple of P chunks), got wave"},
      {&oddLoop, BaselineKind::Interleaved, "got 7 chunks on 4 devices"},
      {&shared, BaselineKind::Interleaved, "but chunk 2 is on device 1"},
      {&udFused, BaselineKind::Interleaved,
       "interleaved needs at least two chunks per device, got one; use 1f1b"},
      {&empty, BaselineKind::GPipe, "the problem has 0 microbatches"},
  };
  for (const Case &c : cases) {
    BaselineResult r = buildBaseline(*c.problem, c.kind);
    EXPECT_FALSE(r.ok) << baselineName(c.kind);
    EXPECT_NE(r.error.find(c.expect), std::string::npos)
        << baselineName(c.kind) << ": got \"" << r.error << "\"";
  }
}

// A problem sched::validate() rejects gets its message from every baseline;
// the memory budget is not a baseline's concern (the greedy only offers the
// baselines that fit it).
TEST(BaselinesTest, RefusesWhatValidateRejects) {
  Problem good = makeUniform(4, 2, 8, true, 1, 1, 1, 1, 1);
  std::vector<Problem> bad(5, good);
  bad[0].chunks[3].device = 7;
  bad[1].chunks[0].dgradMs = -1;
  bad[2].dpDegree = 0;
  bad[3].dpBuckets = 0;
  bad[4].links[1].cost.latencyMs = NAN;
  for (size_t i = 0; i < bad.size(); ++i) {
    std::string expected = validate(bad[i]);
    ASSERT_FALSE(expected.empty()) << i;
    for (BaselineKind kind : allBaselineKinds()) {
      BaselineResult r = buildBaseline(bad[i], kind);
      EXPECT_FALSE(r.ok) << i << " " << baselineName(kind);
      EXPECT_EQ(r.error, expected) << i << " " << baselineName(kind);
    }
  }
  Problem tight = good;
  tight.memoryLimitBytes.assign(4, 1);
  ASSERT_FALSE(validateMemoryBudget(tight).empty());
  EXPECT_TRUE(buildBaseline(tight, BaselineKind::OneFOneB).ok);
  EXPECT_TRUE(buildBaseline(tight, BaselineKind::ZBH1).ok);
}

TEST(BaselinesTest, ValidOnEveryShapeTheyAccept) {
  int built = 0;
  for (BaselineKind kind : allBaselineKinds())
    for (int p = 1; p <= 6; ++p)
      for (int m = 1; m <= 13; ++m)
        for (bool split : {false, true})
          for (int v = 1; v <= 3; ++v) {
            if (kind != BaselineKind::Interleaved && v > 1)
              continue;
            bool zb = kind == BaselineKind::ZBH1 || kind == BaselineKind::ZBV;
            Problem prob = makeUniform(p, 1, m, split, 1, 1, 1, 0, 0,
                                       placementFor(kind), v);
            BaselineResult b = buildBaseline(prob, kind);
            bool singleLoop = kind == BaselineKind::Interleaved && v == 1;
            bool dual = kind == BaselineKind::DualPipeV;
            ASSERT_EQ(b.ok, dual ? m >= 2 * p : (split || !zb) && !singleLoop)
                << b.error;
            if (!b.ok)
              continue;
            SimResult r = simulate(prob, b.schedule);
            ASSERT_TRUE(r.ok) << baselineName(kind) << " P=" << p << " M=" << m
                              << " v=" << v << ": " << r.error;
            ++built;
          }
  // DualPipeV: M >= 2P, i.e. 12 + 10 + 8 + 6 + 4 + 2 shapes per backward.
  EXPECT_EQ(built, 2 * 6 * 13 * 2 + 6 * 13 * 2 * 2 + 2 * 6 * 13 + 42 * 2);
}

TEST(BaselinesTest, OneFOneBAndGPipeMatchHandWrittenOrders) {
  for (bool split : {false, true})
    for (int m : {1, 3, 8}) {
      Problem prob = makeUniform(4, 2, m, split, 1, 2, 1, 0, 0);
      EXPECT_TRUE(
          sameOrders(buildBaseline(prob, BaselineKind::OneFOneB).schedule,
                     refOneFOneB(prob)));
      EXPECT_TRUE(sameOrders(buildBaseline(prob, BaselineKind::GPipe).schedule,
                             refGPipe(prob)));
    }
}

TEST(BaselinesTest, ZeroDelayBubblesAndPeaksOfOneFOneBAndGPipe) {
  for (int p : {2, 4, 5})
    for (int m : {1, 4, 9}) {
      Problem prob = makeUniform(p, 1, m, false, 1, 2, 0, 0, 0);
      SimResult one = run(prob, BaselineKind::OneFOneB);
      SimResult all = run(prob, BaselineKind::GPipe);
      for (const SimResult *r : {&one, &all}) {
        ASSERT_TRUE(r->ok) << r->error;
        EXPECT_NEAR(r->makespanMs, (m + p - 1) * 3.0, kEps);
        for (int d = 0; d < p; ++d)
          EXPECT_NEAR(r->bubbleRatio[d], double(p - 1) / (m + p - 1), kEps);
      }
      for (int d = 0; d < p; ++d) {
        EXPECT_EQ(one.peakMemoryBytes[d], uint64_t(std::min(p - d, m)) * kMiB);
        EXPECT_EQ(all.peakMemoryBytes[d], uint64_t(m) * kMiB);
      }
    }
}

/// Megatron's constraint on the microbatch group size N (see Baselines.cpp),
/// restated independently: the smallest N in [P, M] whose last group is empty
/// or at least P long; M itself when M < P.
int groupSize(int p, int m) {
  int n = p;
  while (n < m && m % n != 0 && m % n < p)
    ++n;
  return std::min(n, m);
}

TEST(BaselinesTest, InterleavedClosedForms) {
  // Megatron's bubble shrinks by v: (v M + P - 1)(f + b) for M >= P. For
  // M < P one microbatch's round trip over all v P chunks dominates, plus
  // one slot per further microbatch: (v P + M - 1)(f + b).
  for (int p : {2, 3, 4})
    for (int v : {2, 3})
      for (int m = 1; m <= 3 * p; ++m) {
        Problem prob = makeUniform(p, 1, m, false, 1, 2, 0, 0, 0,
                                   Placement::Interleaved, v);
        SimResult r = run(prob, BaselineKind::Interleaved);
        ASSERT_TRUE(r.ok) << r.error;
        double slots = m >= p ? v * m + p - 1 : v * p + m - 1;
        EXPECT_NEAR(r.makespanMs, slots * 3.0, kEps)
            << "P=" << p << " v=" << v << " M=" << m;
        int n = groupSize(p, m);
        for (int d = 0; d < p; ++d) {
          int warm = 2 * (p - d - 1) + (v - 1) * n;
          EXPECT_EQ(r.peakMemoryBytes[d],
                    uint64_t(std::min(warm + 1, v * m)) * kMiB)
              << "P=" << p << " v=" << v << " M=" << m << " d=" << d;
        }
      }
}

TEST(BaselinesTest, ZBH1ClosedForm) {
  // f = d = w = 1, no delay, M >= S: the last stage receives its first
  // forward at S - 1 and, with W's deferred into the cool-down, never idles
  // again, so the makespan is S - 1 + 3M (the zero-bubble paper's
  // (p - 1)(T_F + T_B - T_W) bubble) and every device idles
  // (S - 1)/(3M + S - 1). Peak: min(S, M) activations on every device.
  for (int p : {2, 3, 4, 6})
    for (int m : {p, p + 1, 2 * p, 3 * p + 1}) {
      Problem prob = makeUniform(p, 1, m, true, 1, 1, 1, 0, 0);
      SimResult r = run(prob, BaselineKind::ZBH1);
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_NEAR(r.makespanMs, 3.0 * m + p - 1, kEps) << p << " " << m;
      for (int d = 0; d < p; ++d) {
        EXPECT_NEAR(r.bubbleRatio[d], (p - 1.0) / (3.0 * m + p - 1), kEps);
        EXPECT_EQ(r.peakMemoryBytes[d], uint64_t(std::min(p, m)) * kMiB);
      }
      // The same problem under 1F1B (W right after D) is strictly slower.
      EXPECT_GT(run(prob, BaselineKind::OneFOneB).makespanMs,
                r.makespanMs + 0.5);
    }
}

TEST(BaselinesTest, ZBVClosedForm) {
  // f = d = w = 1 per chunk, no delay, M >= 2P: device P-1 (chunks P-1 and
  // P) starts at P - 1 and then never idles: 6M + P - 1. Peaks follow
  // min(2P, M + 1 + d, 2M) for every M.
  for (int p : {2, 3, 4, 5})
    for (int m = 1; m <= 3 * p; ++m) {
      Problem prob = makeUniform(p, 1, m, true, 1, 1, 1, 0, 0, Placement::Wave);
      SimResult r = run(prob, BaselineKind::ZBV);
      ASSERT_TRUE(r.ok) << r.error;
      if (m >= 2 * p) {
        EXPECT_NEAR(r.makespanMs, 6.0 * m + p - 1, kEps) << p << " " << m;
      }
      for (int d = 0; d < p; ++d)
        EXPECT_EQ(r.peakMemoryBytes[d],
                  uint64_t(std::min({2 * p, m + 1 + d, 2 * m})) * kMiB)
            << "P=" << p << " M=" << m << " d=" << d;
    }
}

TEST(BaselinesTest, TimingUnderDelaysMatchesNaiveSimulator) {
  for (BaselineKind kind : allBaselineKinds())
    for (int dcs : {2, 3}) {
      int m = kind == BaselineKind::DualPipeV ? 8 : 7; // M >= 2P
      Problem prob = makeUniform(4, dcs, m, true, 1.0, 1.3, 0.6, 2.5, 0.8,
                                 placementFor(kind), 2);
      std::mt19937 rng(int(kind) * 10 + dcs);
      std::uniform_real_distribution<double> t(0.3, 2.0);
      for (Chunk &c : prob.chunks) {
        c.forwardMs = t(rng);
        c.dgradMs = t(rng);
        c.wgradMs = t(rng);
      }
      BaselineResult b = buildBaseline(prob, kind);
      ASSERT_TRUE(b.ok) << b.error;
      SimResult r = simulate(prob, b.schedule);
      ASSERT_TRUE(r.ok) << r.error;
      NaiveResult n = naiveSimulate(prob, b.schedule);
      ASSERT_TRUE(n.converged);
      EXPECT_NEAR(r.makespanMs, n.makespan, kEps) << baselineName(kind);
      for (size_t d = 0; d < r.times.size(); ++d)
        for (size_t i = 0; i < r.times[d].size(); ++i)
          EXPECT_NEAR(r.times[d][i].startMs, n.start[d][i], kEps);
    }
}

} // namespace

// DualPipeV for P = 2, M = 4, derived by hand from its published steps
// (warm-up forwards, zero-bubble input gradients on the up chunk, F/B
// pairs, the zero-bubble second half of the cool-down, deferred Ws).
TEST(BaselinesTest, DualPipeVMatchesHandDerivedOrder) {
  Problem p = makeUniform(2, 1, 4, true, 1, 1, 1, 0, 0, Placement::Wave, 2);
  BaselineResult b = buildBaseline(p, BaselineKind::DualPipeV);
  ASSERT_TRUE(b.ok) << b.error;
  auto text = [](const std::vector<Block> &order) {
    std::string s;
    for (const Block &x : order)
      s += std::string(s.empty() ? "" : " ") + blockKindName(x.kind) +
           std::to_string(x.chunk) + "." + std::to_string(x.mb);
    return s;
  };
  EXPECT_EQ(text(b.schedule.order[0]),
            "F0.0 F0.1 F0.2 F3.0 D3.0 W3.0 F3.1 F0.3 D3.1 W3.1 F3.2 D0.0 "
            "W0.0 D3.2 W3.2 F3.3 D0.1 W0.1 D3.3 W3.3 D0.2 W0.2 D0.3 W0.3");
  EXPECT_EQ(text(b.schedule.order[1]),
            "F1.0 F2.0 F1.1 F2.1 F1.2 D2.0 W2.0 F2.2 D1.0 W1.0 F1.3 D2.1 "
            "W2.1 F2.3 D1.1 W1.1 D2.2 W2.2 D1.2 W1.2 D2.3 D1.3 W2.3 W1.3");
  EXPECT_TRUE(simulate(p, b.schedule).ok);
  // Fewer microbatches than chunks is refused, as PyTorch does.
  p.numMicrobatches = 3;
  BaselineResult few = buildBaseline(p, BaselineKind::DualPipeV);
  EXPECT_FALSE(few.ok);
  EXPECT_EQ(few.error, "dualpipe-v needs at least as many microbatches as "
                       "chunks (4), got 3");
}
