//===- ExecutionPlanTest.cpp - The plan model against hand-derived plans --===//
//
// Checks the MLIR-free execution plan against facts derived by hand: the
// actions and buffers of a two-stage pipeline, the stash slots 1F1B keeps in
// flight on each device (P - d), that every plan is a topological order in
// which sends wait for their producers and consumers for their receives,
// one all-reduce per chunk after its last backward, and that the send and
// receive of one message use buffers of the right devices.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/ExecutionPlan.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace crosspipe;
using namespace crosspipe::sched;
using namespace crosspipe::sched::test;
using plan::ActionKind;

namespace {
plan::Plan planOf(const Problem &p, const Schedule &s) {
  SimResult sim = simulate(p, s);
  EXPECT_TRUE(sim.ok) << sim.error;
  plan::Plan out;
  EXPECT_EQ(plan::buildPlan(p, s, sim, out), "");
  return out;
}

Schedule baseline(const Problem &p, BaselineKind kind) {
  BaselineResult r = buildBaseline(p, kind);
  EXPECT_TRUE(r.ok) << r.error;
  return r.schedule;
}

const plan::Buffer *bufferNamed(const plan::Plan &pl, const std::string &n) {
  for (const plan::Buffer &b : pl.buffers)
    if (b.name == n)
      return &b;
  return nullptr;
}

/// Structural facts every plan has: waits point backwards (the order is
/// topological), waits stay on the waiting device, each message has one
/// send and one receive on its two devices using buffers of those devices.
void expectWellFormed(const plan::Plan &pl) {
  std::map<std::tuple<bool, int, int>, int> sends, recvs;
  for (size_t i = 0; i < pl.actions.size(); ++i) {
    const plan::Action &a = pl.actions[i];
    for (int w : a.waits) {
      ASSERT_LT(w, int(i));
      EXPECT_EQ(pl.actions[w].device, a.device);
    }
    if (a.kind == ActionKind::Send || a.kind == ActionKind::Recv) {
      bool send = a.kind == ActionKind::Send;
      EXPECT_EQ(a.device, send ? a.src : a.dst);
      ASSERT_GE(a.buffer.buffer, 0);
      EXPECT_EQ(pl.buffers[a.buffer.buffer].device, a.device);
      EXPECT_LT(a.buffer.slot, pl.buffers[a.buffer.buffer].slots);
      ++(send ? sends : recvs)[{a.gradient, a.boundary, a.mb}];
    }
  }
  EXPECT_EQ(sends, recvs);
  for (auto &[key, n] : sends)
    EXPECT_EQ(n, 1);
}

// Two devices, one chunk each, one microbatch, fused backward: the plan
// written out by hand.
TEST(ExecutionPlanTest, TwoStagesByHand) {
  Problem p = makeUniform(2, 2, 1, false, 1, 2, 0, 1, 1);
  plan::Plan pl = planOf(p, baseline(p, BaselineKind::OneFOneB));
  expectWellFormed(pl);
  EXPECT_EQ(pl.numDevices, 2);
  for (const char *name : {"stash0", "stash1", "pgrad0", "pgrad1", "act0_d0",
                           "act0_d1", "grad0_d0", "grad0_d1"}) {
    const plan::Buffer *b = bufferNamed(pl, name);
    ASSERT_NE(b, nullptr) << name;
    EXPECT_EQ(b->slots, 1) << name;
  }
  EXPECT_EQ(pl.buffers.size(), 8u);
  std::map<ActionKind, int> count;
  for (const plan::Action &a : pl.actions)
    ++count[a.kind];
  EXPECT_EQ(count[ActionKind::Exec], 4);
  EXPECT_EQ(count[ActionKind::Send], 2);
  EXPECT_EQ(count[ActionKind::Recv], 2);
  EXPECT_EQ(count[ActionKind::Reduce], 0);
  // F1 waits for the activation's receive; the send waits for F0.
  for (size_t i = 0; i < pl.actions.size(); ++i) {
    const plan::Action &a = pl.actions[i];
    if (a.kind == ActionKind::Exec && a.block.kind == BlockKind::F &&
        a.block.chunk == 1) {
      ASSERT_EQ(a.waits.size(), 1u);
      const plan::Action &recv = pl.actions[a.waits[0]];
      EXPECT_EQ(recv.kind, ActionKind::Recv);
      EXPECT_FALSE(recv.gradient);
      EXPECT_EQ(a.input.buffer, recv.buffer.buffer);
      EXPECT_EQ(a.input.slot, recv.buffer.slot);
    }
    if (a.kind == ActionKind::Send && !a.gradient) {
      ASSERT_EQ(a.waits.size(), 1u);
      const plan::Action &f0 = pl.actions[a.waits[0]];
      EXPECT_EQ(f0.kind, ActionKind::Exec);
      EXPECT_EQ(f0.block.chunk, 0);
      EXPECT_EQ(f0.output.buffer, a.buffer.buffer);
      EXPECT_EQ(a.stream, plan::Stream::SendNext);
    }
  }
}

// 1F1B keeps P - d microbatches in flight on device d: the stash of chunk d
// needs exactly that many slots.
TEST(ExecutionPlanTest, OneFOneBStashSlots) {
  for (int devices : {2, 3, 4}) {
    Problem p = makeUniform(devices, 1, 8, false, 1, 2, 0, 0, 0);
    plan::Plan pl = planOf(p, baseline(p, BaselineKind::OneFOneB));
    expectWellFormed(pl);
    for (int d = 0; d < devices; ++d) {
      const plan::Buffer *stash = bufferNamed(pl, "stash" + std::to_string(d));
      ASSERT_NE(stash, nullptr);
      EXPECT_EQ(stash->slots, devices - d) << "device " << d;
    }
  }
}

// Data parallelism: one reduction per chunk, on the chunk's device, after
// the last backward of that chunk in its device's order.
TEST(ExecutionPlanTest, OneReductionPerChunk) {
  Problem p = makeUniform(3, 2, 4, true, 1, 1, 1, 1, 1);
  p.dpDegree = 2;
  for (Chunk &c : p.chunks)
    c.gradientBytes = 1 << 20;
  plan::Plan pl = planOf(p, baseline(p, BaselineKind::ZBH1));
  expectWellFormed(pl);
  std::map<int, int> reductions;
  for (const plan::Action &a : pl.actions) {
    if (a.kind != ActionKind::Reduce)
      continue;
    ++reductions[a.chunk];
    EXPECT_EQ(a.device, p.chunks[a.chunk].device);
    ASSERT_EQ(a.waits.size(), 1u);
    const plan::Action &last = pl.actions[a.waits[0]];
    EXPECT_EQ(last.block.kind, BlockKind::W);
    EXPECT_EQ(last.block.chunk, a.chunk);
    EXPECT_EQ(pl.buffers[a.gradBuffer].role, plan::BufferRole::ParamGrad);
  }
  EXPECT_EQ(reductions.size(), 3u);
  for (auto &[chunk, n] : reductions)
    EXPECT_EQ(n, 1);
}

// Every placement and both backward forms, with sub-blocks: the greedy's
// schedules plan into well-formed plans that run every block once.
TEST(ExecutionPlanTest, GreedyPlansAreWellFormed) {
  for (Placement pl :
       {Placement::Unidirectional, Placement::Interleaved, Placement::Wave})
    for (bool split : {false, true})
      for (int parts : {1, 2}) {
        Problem p =
            makeUniform(4, 2, 6, split, 1, 1, split ? 1 : 0, 0.5, 0.5, pl);
        GreedyOptions options;
        options.subBlocks = parts;
        GreedyResult g = scheduleGreedy(p, options);
        ASSERT_TRUE(g.ok) << g.error;
        plan::Plan result = planOf(p, g.schedule);
        expectWellFormed(result);
        size_t blocks = 0, execs = 0;
        for (const std::vector<Block> &order : g.schedule.order)
          blocks += order.size();
        for (const plan::Action &a : result.actions)
          execs += a.kind == ActionKind::Exec;
        EXPECT_EQ(execs, blocks);
      }
}
} // namespace
