//===- RecomputeTest.cpp - Activation recomputation, by hand --------------===//
//
// The optional recomputation of a stage (Chunk::recompute): F keeps only a
// checkpoint, the backward block re-runs the forward first (longer by F) and
// allocates the rest of the activation when it starts. Memory effects and
// peaks against numbers worked out by hand for whole blocks and two parts,
// the default checkpoint, durations, a budget under which recomputation
// keeps more microbatches in flight and wins, and the greedy and the lower
// bound staying sound on random small recompute problems.
//
//===----------------------------------------------------------------------===//

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

/// One device, one recomputing chunk, F = D = W = 1 ms (B = 1 ms fused).
Problem single(bool split, int microbatches, uint64_t activation,
               std::optional<uint64_t> held, uint64_t checkpoint) {
  Problem p = singleChunk(split, microbatches, activation, held);
  p.chunks[0].recompute = true;
  p.chunks[0].checkpointBytes = checkpoint;
  return p;
}

// 11 bytes of activation, 5 for W, a checkpoint of 3: F keeps 3, D
// re-creates 8 and frees 6, W frees 5. In 3 slices: checkpoint 1, 1, 1;
// re-created 3, 3, 2; activation 4, 4, 3; W 2, 2, 1; backward part j works
// on slice 2 - j.
TEST(Recompute, EffectPerKindAndPart) {
  Problem split = single(true, 1, 11, 5, 3);
  EXPECT_EQ(effect(split, BlockKind::F, 0, 1).alloc, 3u);
  EXPECT_EQ(effect(split, BlockKind::D, 0, 1).alloc, 8u);
  EXPECT_EQ(effect(split, BlockKind::D, 0, 1).free, 6u);
  EXPECT_EQ(effect(split, BlockKind::W, 0, 1).alloc, 0u);
  EXPECT_EQ(effect(split, BlockKind::W, 0, 1).free, 5u);
  for (int part = 0; part < 3; ++part) {
    const uint64_t f[] = {1, 1, 1}, dAlloc[] = {2, 3, 3}, dFree[] = {2, 2, 2},
                   w[] = {1, 2, 2};
    EXPECT_EQ(effect(split, BlockKind::F, part, 3).alloc, f[part]);
    EXPECT_EQ(effect(split, BlockKind::D, part, 3).alloc, dAlloc[part]);
    EXPECT_EQ(effect(split, BlockKind::D, part, 3).free, dFree[part]);
    EXPECT_EQ(effect(split, BlockKind::W, part, 3).free, w[part]);
  }
  // Fused: B re-creates 8 and frees all 11.
  Problem fused = single(false, 1, 11, std::nullopt, 3);
  EXPECT_EQ(effect(fused, BlockKind::F, 0, 1).alloc, 3u);
  EXPECT_EQ(effect(fused, BlockKind::B, 0, 1).alloc, 8u);
  EXPECT_EQ(effect(fused, BlockKind::B, 0, 1).free, 11u);
  for (int part = 0; part < 3; ++part) {
    const uint64_t alloc[] = {2, 3, 3}, free[] = {3, 4, 4};
    EXPECT_EQ(effect(fused, BlockKind::B, part, 3).alloc, alloc[part]);
    EXPECT_EQ(effect(fused, BlockKind::B, part, 3).free, free[part]);
  }
}

// Every part count: F's parts keep the checkpoint, the backward's re-create
// the rest, and a microbatch ends holding nothing.
TEST(Recompute, PartsAddUpToTheWhole) {
  for (uint64_t a : {uint64_t(1), uint64_t(7), uint64_t(1000003)})
    for (uint64_t kept : {uint64_t(0), uint64_t(1), a / 3, a})
      for (bool split : {false, true})
        for (int parts = 1; parts <= 5; ++parts) {
          Problem p = single(split, 1, a,
                             split ? std::optional(a / 2) : std::nullopt, kept);
          BlockKind back = split ? BlockKind::D : BlockKind::B;
          uint64_t f = 0, alloc = 0, freed = 0;
          for (int part = 0; part < parts; ++part) {
            f += effect(p, BlockKind::F, part, parts).alloc;
            alloc += effect(p, back, part, parts).alloc;
            freed += effect(p, back, part, parts).free;
            if (split)
              freed += effect(p, BlockKind::W, part, parts).free;
          }
          EXPECT_EQ(f, kept);
          EXPECT_EQ(f + alloc, a);
          EXPECT_EQ(freed, a);
        }
}

// 100 bytes of activation, 40 for W, a checkpoint of 10, two microbatches,
// whole blocks.
TEST(Recompute, PeaksOfHandOrdersWholeBlocks) {
  using K = BlockKind;
  Problem p = single(true, 2, 100, 40, 10);
  // F F: 10, 20; D0 re-creates 90: 110, frees 60: 50; W0: 10; D1: 100, 40;
  // W1: 0.
  EXPECT_EQ(peakOf(p, {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::D, 0, 0),
                       blk(K::W, 0, 0), blk(K::D, 0, 1), blk(K::W, 0, 1)}),
            110u);
  // F0 D0: 100, 40; F1: 50; D1: 140, 80; W0: 40; W1: 0.
  EXPECT_EQ(peakOf(p, {blk(K::F, 0, 0), blk(K::D, 0, 0), blk(K::F, 0, 1),
                       blk(K::D, 0, 1), blk(K::W, 0, 0), blk(K::W, 0, 1)}),
            140u);
  // Without recomputation the first order holds both activations: 200.
  Problem plain = p;
  plain.chunks[0].recompute = false;
  EXPECT_EQ(peakOf(plain, {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::D, 0, 0),
                           blk(K::W, 0, 0), blk(K::D, 0, 1), blk(K::W, 0, 1)}),
            200u);
  // Fused, F F B B: 10, 20; B0: 110, 10; B1: 100, 0.
  Problem fused = single(false, 2, 100, std::nullopt, 10);
  EXPECT_EQ(peakOf(fused, {blk(K::F, 0, 0), blk(K::F, 0, 1), blk(K::B, 0, 0),
                           blk(K::B, 0, 1)}),
            110u);
}

// The same with two parts per block: checkpoint slices 5, 5; re-created
// 45, 45; D frees 50 - 20 = 30 per part, W 20, fused B 50.
TEST(Recompute, PeaksOfHandOrdersTwoParts) {
  using K = BlockKind;
  Problem p = single(true, 2, 100, 40, 10);
  auto all = [](K kind, int mb) {
    return std::vector<Block>{blk(kind, 0, mb, 0, 2), blk(kind, 0, mb, 1, 2)};
  };
  auto cat = [](std::initializer_list<std::vector<Block>> lists) {
    std::vector<Block> out;
    for (const std::vector<Block> &l : lists)
      out.insert(out.end(), l.begin(), l.end());
    return out;
  };
  // One microbatch: F 5, 10; D0.0 55, 25; D0.1 70, 40; W 20, 0.
  Problem one = single(true, 1, 100, 40, 10);
  EXPECT_EQ(peakOf(one, cat({all(K::F, 0), all(K::D, 0), all(K::W, 0)})), 70u);
  // F F: 20; D0.0 65, 35; D0.1 80, 50; W0 30, 10; D1.0 55, 25; D1.1 70, 40.
  EXPECT_EQ(peakOf(p, cat({all(K::F, 0), all(K::F, 1), all(K::D, 0),
                           all(K::W, 0), all(K::D, 1), all(K::W, 1)})),
            80u);
  // Fused F F B B: 20; B0.0 65, 15; B0.1 60, 10; B1.0 55, 5; B1.1 50, 0.
  Problem fused = single(false, 2, 100, std::nullopt, 10);
  EXPECT_EQ(peakOf(fused, cat({all(K::F, 0), all(K::F, 1), all(K::B, 0),
                               all(K::B, 1)})),
            65u);
}

// The backward block re-runs the forward: D (B) takes F longer; F and W
// do not change, and the simulator times it so.
TEST(Recompute, BackwardRerunsTheForward) {
  Problem p = single(true, 1, 100, 40, 10);
  p.chunks[0].forwardMs = 2;
  EXPECT_DOUBLE_EQ(wholeBlockMs(p, 0, BlockKind::F), 2);
  EXPECT_DOUBLE_EQ(wholeBlockMs(p, 0, BlockKind::D), 3);
  EXPECT_DOUBLE_EQ(wholeBlockMs(p, 0, BlockKind::W), 1);
  EXPECT_DOUBLE_EQ(blockDurationMs(p, blk(BlockKind::D, 0, 0, 0, 2)), 1.5);
  EXPECT_DOUBLE_EQ(p.backwardTotalMs(0), 4);
  Schedule s;
  s.order = {{blk(BlockKind::F, 0, 0), blk(BlockKind::D, 0, 0),
              blk(BlockKind::W, 0, 0)}};
  SimResult r = simulate(p, s);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_DOUBLE_EQ(r.makespanMs, 6);
  Problem fused = single(false, 1, 100, std::nullopt, 10);
  EXPECT_DOUBLE_EQ(wholeBlockMs(fused, 0, BlockKind::B), 2);
  EXPECT_DOUBLE_EQ(fused.backwardTotalMs(0), 2);
}

// Without checkpoint bytes a stage keeps the activation it received: the
// previous stage's message; the first stage its own message. Never more
// than its activation; a larger explicit checkpoint is invalid.
TEST(Recompute, DefaultCheckpointAndValidation) {
  Problem p = makeUniform(2, 1, 2, true, 1, 1, 1, 0, 0);
  p.chunks[0].messageBytes = 300;
  p.chunks[1].messageBytes = 0;
  p.chunks[0].activationBytes = p.chunks[1].activationBytes = 1000;
  for (Chunk &c : p.chunks)
    c.recompute = true;
  EXPECT_EQ(p.checkpointBytes(0), 300u);
  EXPECT_EQ(p.checkpointBytes(1), 300u);
  EXPECT_EQ(chunkMemory(p, 1).keptBytes, 300u);
  p.chunks[0].messageBytes = 5000;
  EXPECT_EQ(p.checkpointBytes(1), 1000u);
  p.chunks[1].checkpointBytes = 7;
  EXPECT_EQ(p.checkpointBytes(1), 7u);
  EXPECT_EQ(validate(p), "");
  p.chunks[1].checkpointBytes = 1001;
  EXPECT_EQ(validate(p), "chunk 1 keeps a checkpoint of 1001 bytes, more "
                         "than its activation of 1000 bytes");
  // What one microbatch needs: max(checkpoint, W's part) per chunk and one
  // transient; what it holds in every schedule: the checkpoints.
  Problem q = single(true, 1, 100, 40, 10);
  EXPECT_EQ(oneMicrobatchBytes(q, 0), 100u);
  EXPECT_EQ(leastMicrobatchBytes(q, 0), 10u);
}

/// Two devices, one fused chunk each, F = 1 ms, B = 2 ms, free links, four
/// microbatches, 130 bytes per device; activations of 100 bytes.
Problem tightPair(bool recompute) {
  Problem p = makeUniform(2, 1, 4, false, 1, 2, 0, 0, 0);
  p.memoryLimitBytes = {130, 130};
  for (Chunk &c : p.chunks) {
    c.activationBytes = 100;
    c.recompute = recompute;
    c.checkpointBytes = 10;
  }
  return p;
}

// Without recomputation one activation fits: the microbatches go one at a
// time, F0 F1 B1 B0 = 6 ms each, 24 ms. With it (B = 3 ms) a microbatch
// keeps 10 bytes, so all four fit beside one 90-byte transient: device 1
// runs 1 + 4 * (1 + 3) ms and device 0's last B follows, 20 ms.
TEST(Recompute, MoreInFlightUnderATightBudget) {
  GreedyResult plain = scheduleGreedy(tightPair(false));
  ASSERT_TRUE(plain.ok) << plain.error;
  EXPECT_DOUBLE_EQ(plain.makespanMs, 24);
  Problem p = tightPair(true);
  GreedyResult rc = scheduleGreedy(p);
  ASSERT_TRUE(rc.ok) << rc.error;
  EXPECT_DOUBLE_EQ(rc.makespanMs, 20);
  SimResult sim = simulate(p, rc.schedule);
  ASSERT_TRUE(sim.ok) << sim.error;
  EXPECT_EQ(checkMemory(p, rc.schedule, sim).kind, ScheduleFault::None);
  for (int d = 0; d < 2; ++d)
    EXPECT_LE(peakMemory(p, rc.schedule.order[d]), 130u);
  LowerBound lb = computeLowerBound(p);
  EXPECT_LE(lb.makespanMs, rc.makespanMs + 1e-9);
  EXPECT_DOUBLE_EQ(lb.makespanMs, 20);
}

/// A random small problem with some recomputing chunks and a budget
/// between what one microbatch needs and a few activations.
Problem randomRecompute(std::mt19937 &rng) {
  std::uniform_int_distribution<int> pick(0, 1000);
  int devices = 1 + pick(rng) % 3, m = 1 + pick(rng) % 5;
  bool split = pick(rng) % 2;
  Placement placement =
      pick(rng) % 3 == 0 ? Placement::Interleaved : Placement::Unidirectional;
  Problem p = makeUniform(devices, std::min(devices, 1 + pick(rng) % 2), m,
                          split, 1, 1.5, split ? 0.5 : 0, 0.5 * (pick(rng) % 3),
                          0.25 * (pick(rng) % 3), placement);
  for (Chunk &c : p.chunks) {
    c.forwardMs = 0.5 + pick(rng) % 4 * 0.5;
    c.activationBytes = 100 + uint64_t(pick(rng) % 200);
    c.messageBytes = uint64_t(pick(rng) % 50);
    if (split && pick(rng) % 2)
      c.wgradActivationBytes = uint64_t(pick(rng)) % c.activationBytes;
    c.recompute = pick(rng) % 3 != 0;
    if (pick(rng) % 2)
      c.checkpointBytes = uint64_t(pick(rng)) % c.activationBytes;
  }
  p.memoryLimitBytes.assign(devices, 0);
  for (int d = 0; d < devices; ++d)
    p.memoryLimitBytes[d] =
        oneMicrobatchBytes(p, d) + uint64_t(pick(rng) % 300);
  return p;
}

// The greedy's schedules fit the budget by the verifier's exact check, and
// the lower bound stays at or below them and below random schedules that
// fit, with whole blocks and two parts.
TEST(Recompute, GreedyFitsAndBoundHoldsOnRandomProblems) {
  std::mt19937 rng(20261202);
  int fitting = 0;
  for (int trial = 0; trial < 150; ++trial) {
    Problem p = randomRecompute(rng);
    SCOPED_TRACE("trial " + std::to_string(trial));
    for (int parts : {1, 2}) {
      GreedyOptions options;
      options.subBlocks = parts;
      options.exactSubBlocks = true;
      GreedyResult g = scheduleGreedy(p, options);
      ASSERT_TRUE(g.ok) << g.error;
      SimResult sim = simulate(p, g.schedule);
      ASSERT_TRUE(sim.ok) << sim.error;
      EXPECT_EQ(checkMemory(p, g.schedule, sim).kind, ScheduleFault::None);
      for (int d = 0, e = p.numDevices(); d < e; ++d)
        EXPECT_LE(peakMemory(p, g.schedule.order[d]), p.memoryLimit(d));
      EXPECT_DOUBLE_EQ(sim.makespanMs, g.makespanMs);
      LowerBound lb = computeLowerBound(p, parts);
      EXPECT_TRUE(lb.memoryFeasible);
      EXPECT_LE(lb.makespanMs, g.makespanMs * (1 + 1e-9) + 1e-9);
    }
    for (unsigned seed = 0; seed < 4; ++seed) {
      Schedule s = randomValidSchedule(p, seed + 100 * trial, 2);
      SimResult sim = simulate(p, s);
      ASSERT_TRUE(sim.ok) << sim.error;
      if (checkMemory(p, s, sim).kind != ScheduleFault::None)
        continue;
      ++fitting;
      LowerBound lb = computeLowerBound(p, maxPartsOf(s));
      EXPECT_LE(lb.makespanMs, sim.makespanMs * (1 + 1e-9) + 1e-9);
    }
  }
  EXPECT_GT(fitting, 50);
}

} // namespace
