//===- PlanTablesTest.cpp - Plans as the runtime's tables -----------------===//
//
// Checks plan::buildTables against tables written out by hand for a
// two-stage 1F1B plan, and on larger plans (three devices, a boundary local
// to one device, sub-blocks, data parallelism) that every fact Plan.h
// promises the runtime holds: one buffer per (device, role, chunk), the
// slots each action uses are in the buffers the runtime derives, waits
// point backwards at non-waits, channels carry the model's link costs, the
// runtime's own checker (crosspipe_plan_check) accepts the tables, and
// stream order plus WAITs give exactly the plan's happens-before order.
// Plans the tables cannot express are refused with the action named.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/PlanTables.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

using namespace crosspipe;
using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

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

plan::TablesInput inputNamed(const std::string &name) {
  plan::TablesInput in;
  in.name = name;
  in.algorithm = "test";
  return in;
}

/// An action as {op, chunk, mb, slot, out, stash, part, parts}.
using Row = std::vector<int32_t>;
Row row(const crosspipe_action &a) {
  return {a.op, a.chunk, a.mb, a.slot, a.out, a.stash, a.part, a.parts};
}
std::vector<Row> rows(const plan::PlanTables &t, int device) {
  std::vector<Row> out;
  for (const crosspipe_action &a : t.program(device))
    out.push_back(row(a));
  return out;
}

int streamOf(int op) {
  switch (op) {
  case CROSSPIPE_OP_SEND_ACT:
    return 1;
  case CROSSPIPE_OP_RECV_ACT:
    return 2;
  case CROSSPIPE_OP_SEND_GRAD:
    return 3;
  case CROSSPIPE_OP_RECV_GRAD:
    return 4;
  case CROSSPIPE_OP_ALLREDUCE:
    return 5;
  default:
    return 0;
  }
}

/// Per device, the pairs (a, b) of plan actions where a completes before b
/// starts, from the tables: stream order plus WAITs, closed transitively.
std::set<std::pair<int, int>> tableOrder(const plan::PlanTables &t, int d) {
  const std::vector<crosspipe_action> &program = t.program(d);
  const std::vector<int> &sources = t.sources(d);
  std::map<int, std::set<int>> before; // entry -> entries done before it
  std::map<int, int> lastOn;
  std::vector<int> pending;
  for (int i = 0; i < int(program.size()); ++i) {
    if (program[i].op == CROSSPIPE_OP_WAIT) {
      pending.push_back(program[i].chunk);
      continue;
    }
    std::set<int> &mine = before[i];
    int stream = streamOf(program[i].op);
    if (lastOn.count(stream))
      pending.push_back(lastOn[stream]);
    for (int j : pending) {
      mine.insert(j);
      mine.insert(before[j].begin(), before[j].end());
    }
    pending.clear();
    lastOn[stream] = i;
  }
  std::set<std::pair<int, int>> out;
  for (auto &[b, set] : before)
    for (int a : set)
      out.insert({sources[a], sources[b]});
  return out;
}

/// The same relation from the plan: stream order plus every wait.
std::set<std::pair<int, int>> planOrder(const plan::Plan &pl,
                                        const plan::PlanTables &t, int d) {
  std::map<int, std::set<int>> before;
  std::map<int, int> lastOn;
  const std::vector<int> &sources = t.sources(d);
  const std::vector<crosspipe_action> &program = t.program(d);
  for (int i = 0; i < int(program.size()); ++i) {
    if (program[i].op == CROSSPIPE_OP_WAIT)
      continue;
    int action = sources[i];
    std::set<int> &mine = before[action];
    std::vector<int> deps = pl.actions[action].waits;
    int stream = streamOf(program[i].op);
    if (lastOn.count(stream))
      deps.push_back(lastOn[stream]);
    for (int j : deps) {
      mine.insert(j);
      mine.insert(before[j].begin(), before[j].end());
    }
    lastOn[stream] = action;
  }
  std::set<std::pair<int, int>> out;
  for (auto &[b, set] : before)
    for (int a : set)
      out.insert({a, b});
  return out;
}

std::string runtimeCheck(const plan::PlanTables &t) {
  char error[512] = "";
  return crosspipe_plan_check(&t.plan(), error, sizeof(error)) == 0 ? ""
                                                                    : error;
}

/// Every promise of Plan.h, checked on built tables.
void expectPromisesHold(const Problem &p, const plan::Plan &pl,
                        const plan::PlanTables &t) {
  const crosspipe_plan &h = t.plan();
  EXPECT_EQ(runtimeCheck(t), "");
  std::map<std::tuple<int, int, int>, int> bufferOf;
  for (int b = 0; b < h.num_buffers; ++b) {
    const crosspipe_buffer &buf = h.buffers[b];
    EXPECT_TRUE(bufferOf.insert({{buf.device, buf.role, buf.chunk}, b}).second)
        << "a second buffer of (device, role, chunk) at " << b;
  }
  for (int c = 0; c < h.num_channels; ++c) {
    const crosspipe_channel &ch = h.channels[c];
    const LinkCost *cost = p.linkCost(ch.src, ch.dst);
    ASSERT_NE(cost, nullptr);
    EXPECT_EQ(ch.latency_ms, cost->latencyMs);
    EXPECT_EQ(ch.gbps, cost->bandwidthGbps);
    EXPECT_EQ(std::string(h.links[ch.link].name),
              p.linkName(p.linkBetween(ch.src, ch.dst)));
  }
  auto slots = [&](int d, int role, int chunk) {
    auto it = bufferOf.find({d, role, chunk});
    return it == bufferOf.end() ? 0 : h.buffers[it->second].slots;
  };
  int last = h.chunks - 1;
  for (int d = 0; d < h.devices; ++d) {
    const std::vector<crosspipe_action> &program = t.program(d);
    for (int i = 0; i < int(program.size()); ++i) {
      const crosspipe_action &a = program[i];
      if (a.op == CROSSPIPE_OP_WAIT) {
        ASSERT_LT(a.chunk, i);                             // Backwards,
        EXPECT_NE(program[a.chunk].op, CROSSPIPE_OP_WAIT); // at an action,
        ASSERT_LT(i + 1, int(program.size()));             // and before one.
        continue;
      }
      if (a.op < CROSSPIPE_OP_F || a.op > CROSSPIPE_OP_W)
        continue;
      bool f = a.op == CROSSPIPE_OP_F, w = a.op == CROSSPIPE_OP_W;
      int c = a.chunk;
      EXPECT_EQ(h.chunk_table[c].device, d);
      if (f ? c > 0 : !w && c < last)
        EXPECT_LT(a.slot,
                  slots(d, f ? CROSSPIPE_ACT : CROSSPIPE_GRAD, f ? c - 1 : c));
      if (f ? c < last : !w && c > 0)
        EXPECT_LT(a.out,
                  slots(d, f ? CROSSPIPE_ACT : CROSSPIPE_GRAD, f ? c : c - 1));
      EXPECT_LT(a.stash, slots(d, CROSSPIPE_STASH, c));
    }
    EXPECT_EQ(tableOrder(t, d), planOrder(pl, t, d)) << "device " << d;
  }
}

// Two devices in two datacenters, one microbatch, fused backward, 1F1B:
// the tables written out by hand. Device 0 posts its gradient receive
// first, runs F, sends after it, and runs B once the gradient is in;
// device 1 mirrors it.
TEST(PlanTablesTest, TwoStagesByHand) {
  Problem p = makeUniform(2, 2, 1, false, 1, 2, 0, 1, 1);
  plan::Plan pl = planOf(p, baseline(p, BaselineKind::OneFOneB));
  plan::TablesInput in = inputNamed("two_plan");
  in.lowerBoundMs = 5;
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(p, pl, in, t), "");
  const crosspipe_plan &h = t.plan();
  EXPECT_EQ(h.version, CROSSPIPE_PLAN_VERSION);
  EXPECT_STREQ(h.name, "two_plan");
  EXPECT_EQ(h.arrangement, CROSSPIPE_ARRANGE_NCCL);
  EXPECT_EQ(std::make_tuple(h.devices, h.chunks, h.microbatches, h.dp_degree),
            std::make_tuple(2, 2, 1, 1));
  EXPECT_EQ(h.makespan_ms, pl.makespanMs);
  EXPECT_EQ(h.lower_bound_ms, 5);
  EXPECT_EQ(h.chunk_table[1].device, 1);
  EXPECT_EQ(h.chunk_table[1].backward_ms, 2);

  // Stash and parameter gradient per chunk, then send and receive buffers.
  std::vector<std::string> names;
  for (int b = 0; b < h.num_buffers; ++b)
    names.push_back(h.buffers[b].name);
  EXPECT_EQ(names, (std::vector<std::string>{"stash0", "pgrad0", "stash1",
                                             "pgrad1", "act0_d0", "grad0_d1",
                                             "act0_d1", "grad0_d0"}));
  EXPECT_EQ(h.buffers[5].role, CROSSPIPE_GRAD);
  EXPECT_EQ(h.buffers[5].device, 1);

  // Channels by (role, src, dst), each on its datacenter link.
  ASSERT_EQ(h.num_channels, 2);
  EXPECT_EQ(std::make_tuple(h.channels[0].src, h.channels[0].dst,
                            h.channels[0].role, h.channels[0].link),
            std::make_tuple(0, 1, int(CROSSPIPE_ACT), 0));
  EXPECT_EQ(std::make_tuple(h.channels[1].src, h.channels[1].dst,
                            h.channels[1].role, h.channels[1].link),
            std::make_tuple(1, 0, int(CROSSPIPE_GRAD), 1));
  EXPECT_EQ(h.channels[0].latency_ms, 1);
  EXPECT_EQ(h.channels[0].gbps, 1000);
  ASSERT_EQ(h.num_links, 2);
  EXPECT_STREQ(h.links[0].name, "dc0->dc1");
  EXPECT_STREQ(h.links[1].name, "dc1->dc0");

  // {op, chunk, mb, slot, out, stash, part, parts}; a WAIT names an entry.
  // Each receive is issued with its send, so both devices issue the
  // activation before the gradient (one order for NCCL).
  EXPECT_EQ(rows(t, 0), (std::vector<Row>{
                            {CROSSPIPE_OP_F, 0, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_WAIT, 0, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_SEND_ACT, 0, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_RECV_GRAD, 0, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_WAIT, 3, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_B, 0, 0, 0, 0, 0, 0, 0},
                        }));
  EXPECT_EQ(rows(t, 1), (std::vector<Row>{
                            {CROSSPIPE_OP_RECV_ACT, 0, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_WAIT, 0, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_F, 1, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_B, 1, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_WAIT, 3, 0, 0, 0, 0, 0, 0},
                            {CROSSPIPE_OP_SEND_GRAD, 0, 0, 0, 0, 0, 0, 0},
                        }));
  expectPromisesHold(p, pl, t);
}

// Three devices, four microbatches, split backward, 1F1B: every promise
// holds, and the slots of the stash follow 1F1B (P - d in flight).
TEST(PlanTablesTest, ThreeDevicesKeepThePromises) {
  Problem p = makeUniform(3, 2, 4, true, 1, 1, 1, 1, 1);
  plan::Plan pl = planOf(p, baseline(p, BaselineKind::OneFOneB));
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(p, pl, inputNamed("three"), t), "");
  expectPromisesHold(p, pl, t);
  for (int c = 0; c < 3; ++c)
    EXPECT_EQ(t.plan().buffers[2 * c].slots, 3 - c) << "stash of chunk " << c;
}

// Wave placement (chunks 1 and 2 share device 1: a boundary without
// messages, read through the local buffer), sub-blocks, and two replicas
// (one all-reduce per chunk): the promises hold, with a local act buffer
// and an ALLREDUCE entry per chunk.
TEST(PlanTablesTest, LocalBoundarySubBlocksAndAllReduce) {
  Problem p = makeUniform(2, 1, 4, true, 1, 1, 1, 0.5, 0.5, Placement::Wave);
  p.dpDegree = 2;
  for (Chunk &c : p.chunks)
    c.gradientBytes = kMiB;
  // ZB-V with every block cut into two parts run back to back.
  Schedule s = baseline(p, BaselineKind::ZBV);
  for (std::vector<Block> &order : s.order) {
    std::vector<Block> cut;
    for (const Block &b : order)
      for (int part = 0; part < 2; ++part)
        cut.push_back(blk(b.kind, b.chunk, b.mb, part, 2));
    order = cut;
  }
  plan::Plan pl = planOf(p, s);
  plan::TablesInput in = inputNamed("wave");
  in.arrangement = CROSSPIPE_ARRANGE_EMULATE;
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(p, pl, in, t), "");
  expectPromisesHold(p, pl, t);
  EXPECT_EQ(t.plan().arrangement, CROSSPIPE_ARRANGE_EMULATE);
  int reduces = 0, parts = 0, sendsOfBoundary1 = 0;
  for (int d = 0; d < 2; ++d)
    for (const crosspipe_action &a : t.program(d)) {
      reduces += a.op == CROSSPIPE_OP_ALLREDUCE;
      parts += a.parts == 2;
      sendsOfBoundary1 += a.op == CROSSPIPE_OP_SEND_ACT && a.chunk == 1;
    }
  EXPECT_EQ(reduces, 4);
  EXPECT_EQ(parts, 4 * 4 * 3 * 2);
  EXPECT_EQ(sendsOfBoundary1, 0);
  bool local = false;
  for (int b = 0; b < t.plan().num_buffers; ++b)
    local |= t.plan().buffers[b].role == CROSSPIPE_ACT &&
             t.plan().buffers[b].chunk == 1 && t.plan().buffers[b].device == 1;
  EXPECT_TRUE(local);
}

// The greedy's plan on four devices keeps every promise; the programs hold
// every action and one WAIT per wait.
TEST(PlanTablesTest, GreedyPlansKeepThePromises) {
  Problem p = makeUniform(4, 2, 16, true, 1, 1, 1, 2, 0.5);
  GreedyResult g = scheduleGreedy(p);
  ASSERT_TRUE(g.ok) << g.error;
  plan::Plan pl = planOf(p, g.schedule);
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(p, pl, inputNamed("greedy"), t), "");
  expectPromisesHold(p, pl, t);
  size_t waits = 0, entries = t.numEntries();
  for (const plan::Action &a : pl.actions)
    waits += a.waits.size();
  EXPECT_EQ(entries, pl.actions.size() + waits);
}

// A recomputing stage's backward re-runs its forward: the chunk table
// carries the schedule's block times (B = 2 + 1 ms, D = 1 + 1 ms), and
// the plan of a greedy schedule keeps every promise.
TEST(PlanTablesTest, RecomputeCarriesTheLongerBackward) {
  Problem p = makeUniform(2, 1, 4, true, 1, 1, 1, 0, 0);
  for (Chunk &c : p.chunks) {
    c.recompute = true;
    c.backwardMs = 2;
  }
  p.memoryLimitBytes.assign(2, kMiB + kMiB / 2);
  GreedyResult g = scheduleGreedy(p);
  ASSERT_TRUE(g.ok) << g.error;
  plan::Plan pl = planOf(p, g.schedule);
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(p, pl, inputNamed("recompute"), t), "");
  expectPromisesHold(p, pl, t);
  const crosspipe_plan &h = t.plan();
  EXPECT_EQ(h.chunk_table[0].forward_ms, 1);
  EXPECT_EQ(h.chunk_table[0].backward_ms, 3);
  EXPECT_EQ(h.chunk_table[0].dgrad_ms, 2);
  EXPECT_EQ(h.chunk_table[0].wgrad_ms, 1);
}

// What the tables cannot say is refused, naming the action: a wait on
// another device, an input read from another buffer than the one the
// runtime derives, two buffers of one (device, role, chunk).
TEST(PlanTablesTest, RefusesWhatTheTablesCannotSay) {
  Problem p = makeUniform(2, 2, 1, false, 1, 2, 0, 1, 1);
  plan::Plan good = planOf(p, baseline(p, BaselineKind::OneFOneB));
  auto indexOf = [&](const plan::Plan &pl, int chunk) {
    for (size_t i = 0; i < pl.actions.size(); ++i)
      if (pl.actions[i].kind == plan::ActionKind::Exec &&
          pl.actions[i].block.kind == BlockKind::F &&
          pl.actions[i].block.chunk == chunk)
        return int(i);
    return -1;
  };
  {
    plan::Plan pl = good;
    pl.actions[indexOf(pl, 1)].waits.push_back(indexOf(pl, 0));
    plan::PlanTables t;
    std::string err = plan::buildTables(p, pl, inputNamed("x"), t);
    EXPECT_NE(err.find("(F chunk 1 mb 0) waits for device 0 action"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("names an action of its own device"), std::string::npos)
        << err;
  }
  {
    plan::Plan pl = good;
    plan::Action &f1 = pl.actions[indexOf(pl, 1)];
    f1.input.buffer = f1.stash.buffer;
    plan::PlanTables t;
    std::string err = plan::buildTables(p, pl, inputNamed("x"), t);
    EXPECT_NE(err.find("uses buffer stash1 as its input, but the runtime "
                       "derives its input from the act buffer of boundary 0 "
                       "on device 1, which is buffer act0_d1"),
              std::string::npos)
        << err;
  }
  {
    plan::Plan pl = good;
    pl.buffers.push_back(pl.buffers[0]);
    pl.buffers.back().name = "again";
    plan::PlanTables t;
    std::string err = plan::buildTables(p, pl, inputNamed("x"), t);
    EXPECT_NE(err.find("buffers stash0 and again are both the stash buffer of "
                       "chunk 0 on device 0"),
              std::string::npos)
        << err;
  }
}

// Names reach files and code unescaped, so unsafe bytes are replaced.
TEST(PlanTablesTest, SafeNames) {
  EXPECT_EQ(plan::safeName("toy_greedy.plan-1"), "toy_greedy.plan-1");
  EXPECT_EQ(plan::safeName("e\"a\\st\nx"), "e_a_st_x");
  EXPECT_EQ(plan::safeName("east->west"), "east-_west");
  EXPECT_EQ(plan::safeName("east->west", /*link=*/true), "east->west");
  EXPECT_EQ(plan::safeName(""), "_");
  EXPECT_EQ(plan::safeName(std::string(300, 'a')).size(),
            size_t(CROSSPIPE_PLAN_MAX_NAME));
}
} // namespace
