//===- PlanCollectivesTest.cpp - Bucketed and ZeRO-1 DP collectives -------===//
//
// The data-parallel layouts of --crosspipe-dp-overlap through the whole
// data path: buildPlan places one collective per bucket (and, under ZeRO-1,
// an all-gather the chunk's first F waits for), checkPlan proves them and
// refuses a plan that misses one or starts it too early, and the tables
// spell them as ALLREDUCE / REDUCE_SCATTER / ALL_GATHER entries that the
// runtime's checker accepts.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/PlanCheck.h"
#include "crosspipe/Plan/PlanTables.h"
#include "crosspipe/Schedule/Baselines.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

using namespace crosspipe;
using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {
/// Three devices, two replicas, four microbatches, split backward, 1F1B,
/// with `buckets` gradient buckets and ZeRO-1 or not; every block of the
/// last device cut into two parts so buckets finish in different parts.
struct Case {
  Problem problem;
  Schedule schedule;
  plan::Plan plan;
};

Case makeCase(int buckets, bool zero1) {
  Case c;
  c.problem = makeUniform(3, 2, 4, true, 1, 1, 1, 1, 1);
  c.problem.dpDegree = 2;
  c.problem.dpBuckets = buckets;
  c.problem.zero1 = zero1;
  for (Chunk &chunk : c.problem.chunks)
    chunk.gradientBytes = 4 * kMiB;
  BaselineResult b = buildBaseline(c.problem, BaselineKind::OneFOneB);
  EXPECT_TRUE(b.ok) << b.error;
  c.schedule = b.schedule;
  std::vector<Block> cut;
  for (const Block &block : c.schedule.order[2])
    for (int part = 0; part < 2; ++part)
      cut.push_back(blk(block.kind, block.chunk, block.mb, part, 2));
  c.schedule.order[2] = cut;
  SimResult sim = simulate(c.problem, c.schedule);
  EXPECT_TRUE(sim.ok) << sim.error;
  EXPECT_EQ(plan::buildPlan(c.problem, c.schedule, sim, c.plan), "");
  return c;
}

plan::Fault prove(const Case &c, const plan::Plan &p) {
  return plan::checkPlan(p, {c.problem, c.schedule, {}});
}

int findReduce(const plan::Plan &p, CollectiveKind kind, int chunk,
               int bucket) {
  for (size_t i = 0; i < p.actions.size(); ++i) {
    const plan::Action &a = p.actions[i];
    if (a.kind == plan::ActionKind::Reduce && a.collectiveKind == kind &&
        a.chunk == chunk && a.bucket == bucket)
      return int(i);
  }
  return -1;
}

// Two buckets: one all-reduce per chunk and bucket, each after the parts
// that complete its share; on the last device (blocks in two parts) bucket
// 0 waits for a first part, bucket 1 for a second part.
TEST(PlanCollectivesTest, BucketsAreProvenAndTabled) {
  Case c = makeCase(2, false);
  plan::Fault fault = prove(c, c.plan);
  EXPECT_FALSE(fault) << fault.message;
  for (int chunk = 0; chunk < 3; ++chunk)
    for (int bucket = 0; bucket < 2; ++bucket) {
      int i = findReduce(c.plan, CollectiveKind::AllReduce, chunk, bucket);
      ASSERT_GE(i, 0);
      EXPECT_EQ(c.plan.actions[i].buckets, 2);
      ASSERT_EQ(c.plan.actions[i].waits.size(), 1u);
      const plan::Action &w = c.plan.actions[c.plan.actions[i].waits[0]];
      EXPECT_EQ(w.block.kind, BlockKind::W);
      if (chunk == 2)
        EXPECT_EQ(w.block.part, bucket) << "bucket " << bucket;
    }
  EXPECT_EQ(
      plan::describeAction(
          c.plan.actions[findReduce(c.plan, CollectiveKind::AllReduce, 1, 1)]),
      "dp_allreduce chunk 1 bucket 1/2");
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(c.problem, c.plan, {"b", "t"}, t), "");
  char error[512] = "";
  EXPECT_EQ(crosspipe_plan_check(&t.plan(), error, sizeof(error)), 0) << error;
  std::map<std::pair<int, int>, int> seen; // (chunk, bucket) -> op
  for (int d = 0; d < 3; ++d)
    for (const crosspipe_action &a : t.program(d))
      if (a.op == CROSSPIPE_OP_ALLREDUCE) {
        EXPECT_EQ(a.slot, 2);
        seen[{a.chunk, a.mb}] = a.op;
      }
  EXPECT_EQ(seen.size(), 6u);
}

// ZeRO-1: an all-gather per chunk that the chunk's first F waits for, and
// a reduce-scatter per bucket; the tables spell them as ALL_GATHER and
// REDUCE_SCATTER.
TEST(PlanCollectivesTest, Zero1IsProvenAndTabled) {
  Case c = makeCase(2, true);
  plan::Fault fault = prove(c, c.plan);
  EXPECT_FALSE(fault) << fault.message;
  for (int chunk = 0; chunk < 3; ++chunk) {
    int gather = findReduce(c.plan, CollectiveKind::AllGather, chunk, 0);
    ASSERT_GE(gather, 0);
    EXPECT_TRUE(c.plan.actions[gather].waits.empty());
    bool waited = false;
    for (const plan::Action &a : c.plan.actions)
      waited |= a.kind == plan::ActionKind::Exec &&
                a.block.kind == BlockKind::F && a.block.chunk == chunk &&
                std::count(a.waits.begin(), a.waits.end(), gather) > 0;
    EXPECT_TRUE(waited) << "chunk " << chunk;
    EXPECT_GE(findReduce(c.plan, CollectiveKind::ReduceScatter, chunk, 1), 0);
    EXPECT_LT(findReduce(c.plan, CollectiveKind::AllReduce, chunk, 0), 0);
  }
  plan::PlanTables t;
  ASSERT_EQ(plan::buildTables(c.problem, c.plan, {"z", "t"}, t), "");
  char error[512] = "";
  EXPECT_EQ(crosspipe_plan_check(&t.plan(), error, sizeof(error)), 0) << error;
  std::map<int, int> ops;
  for (int d = 0; d < 3; ++d)
    for (const crosspipe_action &a : t.program(d))
      ++ops[a.op];
  EXPECT_EQ(ops[CROSSPIPE_OP_ALL_GATHER], 3);
  EXPECT_EQ(ops[CROSSPIPE_OP_REDUCE_SCATTER], 6);
  EXPECT_EQ(ops[CROSSPIPE_OP_ALLREDUCE], 0);
}

// The proof refuses a missing bucket, a collective outside the layout and
// an all-gather the first F does not wait for.
TEST(PlanCollectivesTest, ProofRefusesWrongCollectives) {
  Case c = makeCase(2, true);
  {
    plan::Plan p = c.plan;
    p.actions[findReduce(p, CollectiveKind::ReduceScatter, 1, 1)].bucket = 0;
    plan::Fault f = prove(c, p);
    EXPECT_EQ(f.kind, plan::FaultKind::DuplicateReduce);
  }
  {
    plan::Plan p = c.plan;
    p.actions[findReduce(p, CollectiveKind::ReduceScatter, 1, 1)]
        .collectiveKind = CollectiveKind::AllReduce;
    plan::Fault f = prove(c, p);
    EXPECT_EQ(f.kind, plan::FaultKind::UnexpectedReduce);
    EXPECT_EQ(f.message, "is not a collective of the pipeline's "
                         "data-parallel layout");
  }
  {
    plan::Plan p = c.plan;
    int gather = findReduce(p, CollectiveKind::AllGather, 0, 0);
    for (plan::Action &a : p.actions) {
      auto it = std::find(a.waits.begin(), a.waits.end(), gather);
      if (it != a.waits.end())
        a.waits.erase(it);
    }
    plan::Fault f = prove(c, p);
    EXPECT_EQ(f.kind, plan::FaultKind::NotOrdered);
    EXPECT_EQ(f.message, "may start before dp_all_gather chunk 0 completes, "
                         "but it reads the parameters it gathers");
  }
  Case one = makeCase(1, false);
  {
    plan::Plan p = one.plan;
    int gone = findReduce(p, CollectiveKind::AllReduce, 2, 0);
    p.actions.erase(p.actions.begin() + gone);
    for (plan::Action &a : p.actions) {
      std::vector<int> waits;
      for (int w : a.waits)
        if (w != gone)
          waits.push_back(w > gone ? w - 1 : w);
      a.waits = waits;
    }
    plan::Fault f = prove(one, p);
    EXPECT_EQ(f.kind, plan::FaultKind::MissingReduce);
    EXPECT_EQ(f.message, "never all-reduces the gradient of chunk 2");
  }
}
} // namespace
