//===- BlockGraphTest.cpp - The dependency rule and problem checks --------===//
//
// Pins the one block graph against dependencies derived by hand for small
// problems of each placement and both backward forms, checks that inputs and
// outputs are the two directions of one relation, and checks the memory rule
// and the problem validation against hand-computed cases.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/BlockGraph.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <vector>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {
using Edge = std::tuple<char, int, char, int>; // from kind, chunk -> to

char letter(BlockKind k) { return blockKindName(k)[0]; }

std::set<Edge> edgesOf(const BlockGraph &g) {
  std::set<Edge> edges;
  for (int c = 0; c < g.numChunks(); ++c)
    for (int slot = 0; slot < g.kindsPerChunk(); ++slot) {
      Step s{g.kindOfSlot(slot), c};
      for (Step in : g.inputsOf(s))
        edges.insert({letter(in.kind), in.chunk, letter(s.kind), c});
    }
  return edges;
}

// Three chunks, fused backward, written out by hand.
TEST(BlockGraphTest, FusedThreeChunksByHand) {
  BlockGraph g(3, /*splitBackward=*/false);
  std::set<Edge> want = {{'F', 0, 'F', 1}, {'F', 1, 'F', 2}, // forward chain
                         {'F', 0, 'B', 0}, {'F', 1, 'B', 1},
                         {'F', 2, 'B', 2},                    // own forward
                         {'B', 2, 'B', 1}, {'B', 1, 'B', 0}}; // gradient chain
  EXPECT_EQ(edgesOf(g), want);
  EXPECT_EQ(g.kindsPerChunk(), 2);
  EXPECT_EQ(g.backwardKind(), BlockKind::B);
  EXPECT_EQ(g.releaseKind(), BlockKind::B);
}

// Two chunks, split backward: W reads only its own D.
TEST(BlockGraphTest, SplitTwoChunksByHand) {
  BlockGraph g(2, /*splitBackward=*/true);
  std::set<Edge> want = {{'F', 0, 'F', 1}, {'F', 0, 'D', 0}, {'F', 1, 'D', 1},
                         {'D', 1, 'D', 0}, {'D', 0, 'W', 0}, {'D', 1, 'W', 1}};
  EXPECT_EQ(edgesOf(g), want);
  EXPECT_EQ(g.kindsPerChunk(), 3);
  EXPECT_EQ(g.releaseKind(), BlockKind::W);
  EXPECT_TRUE(g.usesKind(BlockKind::W));
  EXPECT_FALSE(g.usesKind(BlockKind::B));
}

// A single chunk has no messages: F feeds its own backward only.
TEST(BlockGraphTest, SingleChunk) {
  BlockGraph g(1, false);
  EXPECT_EQ(edgesOf(g), (std::set<Edge>{{'F', 0, 'B', 0}}));
  EXPECT_TRUE(g.inputsOf({BlockKind::F, 0}).empty());
  EXPECT_TRUE(g.outputsOf({BlockKind::B, 0}).empty());
}

// Outputs are exactly the inverse of inputs, for every placement's chunk
// count (the graph does not depend on placement: chunks are model order).
TEST(BlockGraphTest, OutputsInvertInputs) {
  for (Placement pl :
       {Placement::Unidirectional, Placement::Interleaved, Placement::Wave})
    for (bool split : {false, true}) {
      Problem p = makeUniform(4, 2, 3, split, 1, 1, split ? 1 : 0, 0, 0, pl);
      BlockGraph g(p);
      std::set<Edge> byOutputs;
      for (int c = 0; c < g.numChunks(); ++c)
        for (int slot = 0; slot < g.kindsPerChunk(); ++slot) {
          Step s{g.kindOfSlot(slot), c};
          for (Step out : g.outputsOf(s))
            byOutputs.insert({letter(s.kind), c, letter(out.kind), out.chunk});
        }
      EXPECT_EQ(byOutputs, edgesOf(g));
      // 2(C-1) messages per microbatch, C (fused) or 2C (split) local edges.
      int C = g.numChunks(), messages = 0;
      for (const Edge &e : byOutputs)
        messages += std::get<1>(e) != std::get<3>(e);
      EXPECT_EQ(messages, 2 * (C - 1));
      EXPECT_EQ(int(byOutputs.size()) - messages, split ? 2 * C : C);
    }
}

// The next chunk's consumer comes first among outputs (the simulator's
// message order depends on it).
TEST(BlockGraphTest, OutputOrder) {
  BlockGraph g(3, true);
  Steps out = g.outputsOf({BlockKind::F, 1});
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0], (Step{BlockKind::F, 2}));
  EXPECT_EQ(out[1], (Step{BlockKind::D, 1}));
  out = g.outputsOf({BlockKind::D, 1});
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0], (Step{BlockKind::D, 0}));
  EXPECT_EQ(out[1], (Step{BlockKind::W, 1}));
}

TEST(BlockGraphTest, MessageNaming) {
  Step f1{BlockKind::F, 1}, f2{BlockKind::F, 2}, d2{BlockKind::D, 2},
      d1{BlockKind::D, 1}, w1{BlockKind::W, 1};
  EXPECT_TRUE(BlockGraph::crossesStages(f1, f2));
  EXPECT_FALSE(BlockGraph::crossesStages(d1, w1));
  EXPECT_EQ(BlockGraph::boundaryOf(f1, f2), 1);
  EXPECT_EQ(BlockGraph::boundaryOf(d2, d1), 1);
  EXPECT_FALSE(BlockGraph::isGradient(f1));
  EXPECT_TRUE(BlockGraph::isGradient(d2));
}

// F allocates, the releasing block frees, part by part (slices of 1 MiB / 3
// are 349526, 349525 and 349525 bytes; backward part j ends slice 2 - j);
// D frees nothing while W keeps the whole activation.
TEST(BlockGraphTest, MemoryEffectByHand) {
  for (bool split : {false, true}) {
    Problem p = makeUniform(2, 1, 2, split, 1, 1, split ? 1 : 0, 0, 0);
    uint64_t act = p.chunks[1].activationBytes;
    ASSERT_EQ(act, kMiB);
    BlockKind release = split ? BlockKind::W : BlockKind::B;
    EXPECT_EQ(memoryEffect(p, Block{BlockKind::F, 1, 0}).allocBytes, act);
    EXPECT_EQ(memoryEffect(p, Block{release, 1, 0}).freeBytes, act);
    const uint64_t slices[] = {349526, 349525, 349525};
    for (int part = 0; part < 3; ++part) {
      Block f{BlockKind::F, 1, 0, part, 3};
      Block r{release, 1, 0, part, 3};
      EXPECT_EQ(memoryEffect(p, f).allocBytes, slices[part]);
      EXPECT_EQ(memoryEffect(p, f).freeBytes, 0u);
      EXPECT_EQ(memoryEffect(p, r).allocBytes, 0u);
      EXPECT_EQ(memoryEffect(p, r).freeBytes, slices[2 - part]);
    }
    if (split) {
      MemoryEffect d = memoryEffect(p, Block{BlockKind::D, 0, 0});
      EXPECT_EQ(d.allocBytes + d.freeBytes, 0u);
    }
  }
}

TEST(BlockGraphTest, ValidateAndBudget) {
  Problem ok = makeUniform(2, 1, 2, true, 1, 1, 1, 0, 0);
  EXPECT_EQ(validate(ok), "");
  EXPECT_EQ(validateMemoryBudget(ok), "");

  Problem p = ok;
  p.numMicrobatches = 0;
  EXPECT_EQ(validate(p), "the problem has 0 microbatches");
  p = ok;
  p.chunks[1].wgradMs = -1;
  EXPECT_EQ(validate(p), "chunk 1 has a negative or non-finite duration");
  p = ok;
  p.chunks[0].device = 5;
  EXPECT_EQ(validate(p),
            "chunk 0 is placed on device 5 but the problem has 2 devices");
  p = ok;
  p.dpBuckets = 0;
  EXPECT_EQ(validate(p), "dp buckets 0 < 1");

  // Two chunks of 1 MiB on device 0 need 2 MiB for one microbatch.
  p = makeUniform(2, 1, 2, false, 1, 1, 0, 0, 0, Placement::Interleaved);
  EXPECT_EQ(oneMicrobatchBytes(p, 0), 2 * kMiB);
  p.memoryLimitBytes = {2 * kMiB, 2 * kMiB - 1};
  EXPECT_EQ(validateMemoryBudget(p),
            "memory budget of device 1 (2097151 bytes) cannot hold one "
            "microbatch, whose activations on it need 2097152 bytes");
}
} // namespace

namespace {
// A problem beyond what the tools index is refused up front, naming the
// limit (2 chunks x 2^30 microbatches x 2 kinds = 2^32 blocks).
TEST(BlockGraphTest, TooLargeNamesTheLimit) {
  Problem p = makeUniform(2, 1, 1, false, 1, 1, 0, 0, 0);
  p.numMicrobatches = 1 << 30;
  EXPECT_EQ(validate(p),
            "problem too large to simulate: 2 chunks x 1073741824 "
            "microbatches x 2 block kinds = 4294967296 blocks, above the "
            "limit of 1073741823");
}
} // namespace
