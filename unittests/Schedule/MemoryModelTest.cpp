//===- MemoryModelTest.cpp - Activation memory per block, by hand ---------===//
//
// The memory rule of BlockGraph.h against numbers worked out by hand: what F,
// B, D and W take and give back for whole blocks and for sub-blocks (slices
// of layers, freed as their backward part ends), the peaks the simulator
// reports and the budget check flags on hand-written orders, the uniform
// 1F1B-peak budget under which ZB-H1 fits, and the greedy, the static
// baselines and the lower bound living with partial release at D.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/ScheduleCheck.h"
#include "crosspipe/Schedule/Simulator.h"

#include "MemoryTestUtil.h"
#include "TestProblems.h"

#include <gtest/gtest.h>

#include <random>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

// 11 bytes of activation, 5 of them for W, in 3 slices: activation slices
// 4, 4, 3 and W slices 2, 2, 1. F part i allocates slice i; backward part j
// ends slice 2 - j.
TEST(MemoryModel, EffectPerKindAndPart) {
  Problem split = singleChunk(true, 1, 11, 5);
  for (int part = 0; part < 3; ++part) {
    const uint64_t f[] = {4, 4, 3}, d[] = {2, 2, 2}, w[] = {1, 2, 2};
    EXPECT_EQ(effect(split, BlockKind::F, part, 3).alloc, f[part]);
    EXPECT_EQ(effect(split, BlockKind::F, part, 3).free, 0u);
    EXPECT_EQ(effect(split, BlockKind::D, part, 3).alloc, 0u);
    EXPECT_EQ(effect(split, BlockKind::D, part, 3).free, d[part]);
    EXPECT_EQ(effect(split, BlockKind::W, part, 3).free, w[part]);
  }
  // Whole blocks: the paper's M_F = 11, M_D = -6, M_W = -5.
  EXPECT_EQ(effect(split, BlockKind::F, 0, 1).alloc, 11u);
  EXPECT_EQ(effect(split, BlockKind::D, 0, 1).free, 6u);
  EXPECT_EQ(effect(split, BlockKind::W, 0, 1).free, 5u);
  // Without wgrad_activation W keeps all of it (today's inputs).
  Problem whole = singleChunk(true, 1, 11, std::nullopt);
  EXPECT_EQ(effect(whole, BlockKind::D, 0, 1).free, 0u);
  EXPECT_EQ(effect(whole, BlockKind::W, 0, 1).free, 11u);
  for (int part = 0; part < 3; ++part) {
    const uint64_t w[] = {3, 4, 4};
    EXPECT_EQ(effect(whole, BlockKind::D, part, 3).free, 0u);
    EXPECT_EQ(effect(whole, BlockKind::W, part, 3).free, w[part]);
  }
  // Fused: B gives everything back, slice by slice.
  Problem fused = singleChunk(false, 1, 11, std::nullopt);
  EXPECT_EQ(effect(fused, BlockKind::B, 0, 1).free, 11u);
  for (int part = 0; part < 3; ++part) {
    const uint64_t b[] = {3, 4, 4};
    EXPECT_EQ(effect(fused, BlockKind::B, part, 3).free, b[part]);
  }
  // W keeping nothing: D frees it all.
  Problem none = singleChunk(true, 1, 11, 0);
  EXPECT_EQ(effect(none, BlockKind::D, 0, 1).free, 11u);
  EXPECT_EQ(effect(none, BlockKind::W, 0, 1).free, 0u);
}

// Every kind and part count: the parts of a block add up to its whole.
TEST(MemoryModel, PartsAddUpToTheWhole) {
  for (uint64_t a : {uint64_t(0), uint64_t(1), uint64_t(7), uint64_t(1000003)})
    for (uint64_t h : {uint64_t(0), uint64_t(1), a / 3, a})
      for (int parts = 1; parts <= 7; ++parts) {
        Problem p = singleChunk(true, 1, a, std::min(h, a));
        uint64_t f = 0, d = 0, w = 0;
        for (int part = 0; part < parts; ++part) {
          f += effect(p, BlockKind::F, part, parts).alloc;
          d += effect(p, BlockKind::D, part, parts).free;
          w += effect(p, BlockKind::W, part, parts).free;
        }
        EXPECT_EQ(f, a);
        EXPECT_EQ(d, a - std::min(h, a));
        EXPECT_EQ(w, std::min(h, a));
      }
}

// 100 bytes of activation, 40 of which W needs, two microbatches.
TEST(MemoryModel, PeaksOfHandOrdersWholeBlocks) {
  using K = BlockKind;
  Problem p = singleChunk(true, 2, 100, 40);
  // Both F first: 100 + 100.
  EXPECT_EQ(peakOf(p, {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::D, 0, 0),
                       blk(K::W, 0, 0), blk(K::D, 0, 1), blk(K::W, 0, 1)}),
            200u);
  // D frees 60 before the second F: 40 + 100.
  std::vector<Block> deferW = {blk(K::F, 0, 0), blk(K::D, 0, 0),
                               blk(K::F, 0, 1), blk(K::W, 0, 0),
                               blk(K::D, 0, 1), blk(K::W, 0, 1)};
  EXPECT_EQ(peakOf(p, deferW), 140u);
  // Today's meaning (W keeps all): the deferred W holds 100.
  EXPECT_EQ(peakOf(singleChunk(true, 2, 100, std::nullopt), deferW), 200u);
  // W before the next F: one activation at a time.
  EXPECT_EQ(peakOf(p, {blk(K::F, 0, 0), blk(K::D, 0, 0), blk(K::W, 0, 0),
                       blk(K::F, 0, 1), blk(K::D, 0, 1), blk(K::W, 0, 1)}),
            100u);
  // Fused: B frees all of it.
  Problem fused = singleChunk(false, 2, 100, std::nullopt);
  EXPECT_EQ(peakOf(fused, {blk(K::F, 0, 0), blk(K::B, 0, 0), blk(K::F, 0, 1),
                           blk(K::B, 0, 1)}),
            100u);
  EXPECT_EQ(peakOf(fused, {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::B, 0, 0),
                           blk(K::B, 0, 1)}),
            200u);
}

// Two parts: slices of 50 (W's share 20 each).
TEST(MemoryModel, PeaksOfHandOrdersSubBlocks) {
  using K = BlockKind;
  Problem p = singleChunk(true, 2, 100, 40);
  auto b = [](K k, int mb, int part) { return blk(k, 0, mb, part, 2); };
  // F0 (100), D0 frees 30 + 30 (40), W0.0 frees 20 (20), F1.0 (70), W0.1
  // frees 20 (50), F1.1 (100), ...: the peak stays at one activation, where
  // whole blocks F0 D0 F1 W0 reach 140.
  EXPECT_EQ(
      peakOf(p, {b(K::F, 0, 0), b(K::F, 0, 1), b(K::D, 0, 0), b(K::D, 0, 1),
                 b(K::W, 0, 0), b(K::F, 1, 0), b(K::W, 0, 1), b(K::F, 1, 1),
                 b(K::D, 1, 0), b(K::D, 1, 1), b(K::W, 1, 0), b(K::W, 1, 1)}),
      100u);
  // Fused: F0, then half of F1 (150) before B0 frees its slices.
  Problem fused = singleChunk(false, 2, 100, std::nullopt);
  std::vector<Block> order = {b(K::F, 0, 0), b(K::F, 0, 1), b(K::F, 1, 0),
                              b(K::B, 0, 0), b(K::B, 0, 1), b(K::F, 1, 1),
                              b(K::B, 1, 0), b(K::B, 1, 1)};
  EXPECT_EQ(peakOf(fused, order), 150u);
  // The budget check flags the F part that goes over, at 150 bytes.
  fused.memoryLimitBytes = {149};
  Schedule s;
  s.order = {order};
  SimResult sim = simulate(fused, s);
  ASSERT_TRUE(sim.ok);
  ScheduleFault fault = checkMemory(fused, s, sim);
  EXPECT_EQ(fault.kind, ScheduleFault::OverBudget);
  EXPECT_EQ(fault.bytes, 150u);
  EXPECT_EQ(fault.at.index, 2);
  fused.memoryLimitBytes = {150};
  EXPECT_EQ(checkMemory(fused, s, sim).kind, ScheduleFault::None);
}

// The uniform budget: every device f * P times its largest activation.
TEST(MemoryModel, UniformBudgetIsOneFOneBsPeakEverywhere) {
  Problem p = makeUniform(4, 2, 8, true, 1, 1, 1, 0, 0);
  p.chunks[2].activationBytes = 3 * kMiB;
  EXPECT_EQ(p.limitsRelativeTo1F1BPeak(1.0),
            (std::vector<uint64_t>{4 * kMiB, 4 * kMiB, 12 * kMiB, 4 * kMiB}));
  EXPECT_EQ(p.limitsRelativeTo1F1B(1.0),
            (std::vector<uint64_t>{4 * kMiB, 3 * kMiB, 6 * kMiB, 1 * kMiB}));
  EXPECT_EQ(p.limitsRelativeTo1F1BPeak(0.5)[0], 2 * kMiB);
}

// ZB-H1 defers up to d W on device d: with W keeping the whole activation
// device 3 holds 4 activations, over 1F1B's 1 there, and within the uniform
// budget of 4 (the zero-bubble authors' "same memory as 1F1B"); the greedy
// then takes it, as it is optimal without delay.
TEST(MemoryModel, ZbH1FitsTheUniformBudget) {
  Problem p = makeUniform(4, 1, 8, true, 1, 1, 1, 0, 0);
  BaselineResult zb = buildBaseline(p, BaselineKind::ZBH1);
  ASSERT_TRUE(zb.ok) << zb.error;
  SimResult sim = simulate(p, zb.schedule);
  ASSERT_TRUE(sim.ok);
  EXPECT_EQ(sim.peakMemoryBytes,
            (std::vector<uint64_t>{4 * kMiB, 4 * kMiB, 4 * kMiB, 4 * kMiB}));
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  EXPECT_NE(checkMemory(p, zb.schedule, sim).kind, ScheduleFault::None);
  p.memoryLimitBytes = p.limitsRelativeTo1F1BPeak(1.0);
  EXPECT_EQ(checkMemory(p, zb.schedule, sim).kind, ScheduleFault::None);
  GreedyResult g = scheduleGreedy(p);
  ASSERT_TRUE(g.ok) << g.error;
  // 3M + P - 1 = 27 blocks of 1 ms.
  EXPECT_DOUBLE_EQ(g.makespanMs, 27.0);
}

/// Independent of memoryEffect: sweeps (time, +/- bytes) events of whole
/// blocks, with D releasing activation - held and W held.
uint64_t sweptPeak(const Problem &p, const Schedule &s, const SimResult &r,
                   int d) {
  std::vector<std::pair<double, int64_t>> events;
  for (size_t i = 0; i < s.order[d].size(); ++i) {
    const Block &b = s.order[d][i];
    const Chunk &ch = p.chunks[b.chunk];
    int64_t a = int64_t(ch.activationBytes);
    int64_t h =
        p.splitBackward
            ? int64_t(ch.wgradActivationBytes.value_or(ch.activationBytes))
            : 0;
    if (b.kind == BlockKind::F)
      events.push_back({r.times[d][i].startMs, a});
    else if (b.kind == BlockKind::B)
      events.push_back({r.times[d][i].endMs, -a});
    else if (b.kind == BlockKind::D)
      events.push_back({r.times[d][i].endMs, -(a - h)});
    else
      events.push_back({r.times[d][i].endMs, -h});
  }
  std::sort(events.begin(), events.end());
  int64_t held = 0, peak = 0;
  for (auto &[t, delta] : events) {
    held += delta;
    peak = std::max(peak, held);
  }
  return uint64_t(peak);
}

// Random problems where D frees part of the activation, tight budgets: the
// greedy never goes over (checked by an independent sweep), never deadlocks,
// and no lower bound exceeds what it achieves, whole or in sub-blocks.
TEST(MemoryModel, GreedyAndBoundWithPartialRelease) {
  std::mt19937 rng(7);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    int devices = 2 + int(rng() % 3);
    Placement placement =
        trial % 3 == 2 ? Placement::Wave : Placement::Unidirectional;
    Problem p = makeUniform(devices, 2, 4 + int(rng() % 5), true, 1,
                            1 + double(rng() % 3) / 2, 1, double(rng() % 4),
                            double(rng() % 3), placement);
    for (Chunk &c : p.chunks) {
      c.activationBytes = (2 + rng() % 5) * kMiB;
      c.wgradActivationBytes = c.activationBytes * (rng() % 4) / 4;
    }
    std::vector<uint64_t> limits =
        p.limitsRelativeTo1F1BPeak(0.5 + 0.25 * (trial % 4));
    p.memoryLimitBytes = limits;
    for (int d = 0; d < devices; ++d)
      p.memoryLimitBytes[d] =
          std::max(p.memoryLimitBytes[d], oneMicrobatchBytes(p, d));
    for (int parts : {1, 2, 3}) {
      GreedyOptions options;
      options.subBlocks = parts;
      options.exactSubBlocks = true;
      GreedyResult g = scheduleGreedy(p, options);
      ASSERT_TRUE(g.ok) << g.error;
      SimResult r = simulate(p, g.schedule);
      ASSERT_TRUE(r.ok) << r.error;
      for (int d = 0; d < devices; ++d) {
        EXPECT_LE(r.peakMemoryBytes[d], p.memoryLimit(d));
        if (parts == 1 && g.rule.rfind("baseline", 0) != 0)
          EXPECT_EQ(r.peakMemoryBytes[d], sweptPeak(p, g.schedule, r, d));
      }
      int used = maxPartsOf(g.schedule);
      EXPECT_LE(computeLowerBound(p, used).makespanMs,
                r.makespanMs * (1 + 1e-12))
          << "trial " << trial << " parts " << parts;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 180);
}

} // namespace
