//===- PlanCheckTest.cpp - The plan proof against broken plans ------------===//
//
// Plans built by plan::buildPlan pass the proof unchanged, for every
// baseline and greedy schedule tried here. Each mutation a buggy planner (or
// a hand edit of the IR) could make is then caught with the right fault at
// the right action: a dropped send or exec, receives swapped on their
// channel, a removed wait, a slot reused while it may still be read, a
// missing reduction, and a wait that closes a cycle across devices.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/PlanCheck.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

using namespace crosspipe;
using namespace crosspipe::sched;
using namespace crosspipe::sched::test;
using plan::ActionKind;
using plan::FaultKind;

namespace {
/// A problem, its schedule and the plan built for it.
struct Planned {
  Problem problem;
  Schedule schedule;
  plan::Plan plan;

  plan::Fault check() const {
    return plan::checkPlan(plan, {problem, schedule, {}});
  }
};

Planned planned(Problem p, Schedule s) {
  SimResult sim = simulate(p, s);
  EXPECT_TRUE(sim.ok) << sim.error;
  plan::Plan out;
  EXPECT_EQ(plan::buildPlan(p, s, sim, out), "");
  return {std::move(p), std::move(s), std::move(out)};
}

Planned baselinePlan(Problem p, BaselineKind kind) {
  BaselineResult r = buildBaseline(p, kind);
  EXPECT_TRUE(r.ok) << r.error;
  return planned(std::move(p), r.schedule);
}

/// Two devices in two datacenters, one chunk each, fused backward.
Planned twoStages(int microbatches, BaselineKind kind) {
  return baselinePlan(makeUniform(2, 2, microbatches, false, 1, 2, 0, 1, 1),
                      kind);
}

using Pred = std::function<bool(const plan::Action &)>;

/// The index of the `nth` action matching `pred`, or -1.
int find(const plan::Plan &pl, const Pred &pred, int nth = 0) {
  for (size_t i = 0; i < pl.actions.size(); ++i)
    if (pred(pl.actions[i]) && nth-- == 0)
      return int(i);
  return -1;
}

Pred exec(BlockKind kind, int chunk, int mb) {
  return [=](const plan::Action &a) {
    return a.kind == ActionKind::Exec && a.block.kind == kind &&
           a.block.chunk == chunk && a.block.mb == mb;
  };
}

Pred transfer(ActionKind kind, bool gradient, int mb) {
  return [=](const plan::Action &a) {
    return a.kind == kind && a.gradient == gradient && a.mb == mb;
  };
}

/// Removes an action and every wait on it, renumbering the rest.
void erase(plan::Plan &pl, int victim) {
  pl.actions.erase(pl.actions.begin() + victim);
  for (plan::Action &a : pl.actions) {
    std::vector<int> kept;
    for (int w : a.waits)
      if (w != victim)
        kept.push_back(w > victim ? w - 1 : w);
    a.waits = kept;
  }
}

/// Moves action `from` to the earlier index `to`, renumbering the waits.
void moveEarlier(plan::Plan &pl, int from, int to) {
  std::rotate(pl.actions.begin() + to, pl.actions.begin() + from,
              pl.actions.begin() + from + 1);
  for (plan::Action &a : pl.actions)
    for (int &w : a.waits)
      w = w == from ? to : w >= to && w < from ? w + 1 : w;
}

void eraseWait(plan::Action &a, int wait) {
  auto it = std::find(a.waits.begin(), a.waits.end(), wait);
  ASSERT_NE(it, a.waits.end());
  a.waits.erase(it);
}

TEST(PlanCheckTest, BuiltPlansPass) {
  for (BaselineKind kind : {BaselineKind::GPipe, BaselineKind::OneFOneB})
    for (int devices : {2, 3, 4}) {
      Planned p =
          baselinePlan(makeUniform(devices, 2, 6, false, 1, 2, 0, 1, 1), kind);
      EXPECT_FALSE(p.check()) << p.check().message;
    }
  Problem dp = makeUniform(3, 2, 4, true, 1, 1, 1, 1, 1);
  dp.dpDegree = 2;
  Planned zb = baselinePlan(dp, BaselineKind::ZBH1);
  EXPECT_FALSE(zb.check()) << zb.check().message;
}

// Every placement and both backward forms, with sub-blocks.
TEST(PlanCheckTest, GreedyPlansPass) {
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
        Planned result = planned(p, g.schedule);
        plan::Fault f = result.check();
        EXPECT_FALSE(f) << f.message;
      }
}

TEST(PlanCheckTest, DescribesActions) {
  Planned p = twoStages(1, BaselineKind::OneFOneB);
  const plan::Plan &pl = p.plan;
  EXPECT_EQ(
      plan::describeAction(pl.actions[find(pl, exec(BlockKind::F, 1, 0))]),
      "F chunk 1 mb 0");
  EXPECT_EQ(plan::describeAction(
                pl.actions[find(pl, transfer(ActionKind::Send, false, 0))]),
            "send act chunk 0 mb 0 to device 1");
  EXPECT_EQ(plan::describeAction(
                pl.actions[find(pl, transfer(ActionKind::Recv, true, 0))]),
            "recv grad chunk 0 mb 0 from device 1");
  plan::Action part;
  part.block = blk(BlockKind::W, 2, 3, 1, 2);
  EXPECT_EQ(plan::describeAction(part), "W chunk 2 mb 3 part 1/2");
  plan::Action reduce;
  reduce.kind = ActionKind::Reduce;
  reduce.chunk = 4;
  EXPECT_EQ(plan::describeAction(reduce), "dp_allreduce chunk 4");
}

TEST(PlanCheckTest, DroppedSend) {
  Planned p = twoStages(2, BaselineKind::OneFOneB);
  erase(p.plan, find(p.plan, transfer(ActionKind::Send, false, 1)));
  plan::Fault f = p.check();
  EXPECT_EQ(f.kind, FaultKind::NoSend);
  EXPECT_EQ(f.action, find(p.plan, transfer(ActionKind::Recv, false, 1)));
  EXPECT_EQ(f.message, "has no matching crosspipe.send");
}

TEST(PlanCheckTest, DroppedExec) {
  // The first block of device 1 is gone: its place holds the next one.
  Planned p = twoStages(2, BaselineKind::OneFOneB);
  erase(p.plan, find(p.plan, exec(BlockKind::F, 1, 0)));
  plan::Fault f = p.check();
  EXPECT_EQ(f.kind, FaultKind::WrongExec);
  int next = find(p.plan, [](const plan::Action &a) {
    return a.kind == ActionKind::Exec && a.device == 1;
  });
  EXPECT_EQ(f.action, next);
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].action, -1);
  EXPECT_EQ(f.notes[0].block.device, 1);
  EXPECT_EQ(f.notes[0].block.index, 0);
  EXPECT_EQ(f.notes[0].text, "scheduled block here");

  // The last block of device 0 is gone: the program is not finished.
  Planned q = twoStages(2, BaselineKind::OneFOneB);
  erase(q.plan, find(q.plan, exec(BlockKind::B, 0, 1)));
  f = q.check();
  EXPECT_EQ(f.kind, FaultKind::MissingExec);
  EXPECT_EQ(f.action, -1);
  EXPECT_EQ(f.message, "never runs B chunk 0 mb 1 of device 0's program");
}

TEST(PlanCheckTest, SwappedReceives) {
  // Device 1's two activation receives, each issued right before its send:
  // the receive of microbatch 1 moves before that of microbatch 0, so the
  // channel's first receive no longer matches its first send.
  Planned p = twoStages(2, BaselineKind::GPipe);
  moveEarlier(p.plan, find(p.plan, transfer(ActionKind::Recv, false, 1)),
              find(p.plan, transfer(ActionKind::Recv, false, 0)));
  int first = find(p.plan, transfer(ActionKind::Recv, false, 1));
  int send = find(p.plan, transfer(ActionKind::Send, false, 0));
  ASSERT_LT(first, find(p.plan, transfer(ActionKind::Recv, false, 0)));
  plan::Fault f = p.check();
  EXPECT_EQ(f.kind, FaultKind::ChannelOrder);
  EXPECT_EQ(f.action, first);
  EXPECT_EQ(f.message,
            "is the receive number 0 on the channel from device 0 to 1, but "
            "the send in that position is send act chunk 0 mb 0 to device 1; "
            "receives must match the order of their sends");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].action, send);
}

TEST(PlanCheckTest, RemovedWait) {
  Planned p = twoStages(1, BaselineKind::OneFOneB);
  int consumer = find(p.plan, exec(BlockKind::F, 1, 0));
  int recv = find(p.plan, transfer(ActionKind::Recv, false, 0));
  eraseWait(p.plan.actions[consumer], recv);
  plan::Fault f = p.check();
  EXPECT_EQ(f.kind, FaultKind::NotOrdered);
  EXPECT_EQ(f.action, consumer);
  EXPECT_EQ(f.message, "may start before recv act chunk 0 mb 0 from device 0 "
                       "completes, but it reads what arrives");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].action, recv);
  EXPECT_EQ(f.notes[0].text, "see recv act chunk 0 mb 0 from device 0");
}

TEST(PlanCheckTest, SlotReusedEarly) {
  // GPipe gives the two activations in flight on device 1 two slots; put
  // microbatch 1 (and its reader) in microbatch 0's slot.
  Planned p = twoStages(2, BaselineKind::GPipe);
  int recv0 = find(p.plan, transfer(ActionKind::Recv, false, 0));
  int recv1 = find(p.plan, transfer(ActionKind::Recv, false, 1));
  int reader0 = find(p.plan, exec(BlockKind::F, 1, 0));
  int reader1 = find(p.plan, exec(BlockKind::F, 1, 1));
  plan::SlotRef slot0 = p.plan.actions[recv0].buffer;
  ASSERT_NE(p.plan.actions[recv1].buffer.slot, slot0.slot);
  p.plan.actions[recv1].buffer = slot0;
  p.plan.actions[reader1].input = slot0;
  plan::Fault f = p.check();
  EXPECT_EQ(f.kind, FaultKind::NotOrdered);
  EXPECT_EQ(f.action, reader0);
  EXPECT_EQ(f.message, "may start before recv act chunk 0 mb 1 from device 0 "
                       "completes, but both use @act0_d1[" +
                           std::to_string(slot0.slot) + "]");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].action, recv1);
}

TEST(PlanCheckTest, MissingReduction) {
  Problem dp = makeUniform(3, 2, 4, true, 1, 1, 1, 1, 1);
  dp.dpDegree = 2;
  Planned p = baselinePlan(dp, BaselineKind::ZBH1);
  int reduce = find(p.plan, [](const plan::Action &a) {
    return a.kind == ActionKind::Reduce && a.chunk == 1;
  });
  ASSERT_GE(reduce, 0);
  Planned unordered = p;
  unordered.plan.actions[reduce].waits.clear();
  plan::Fault f = unordered.check();
  EXPECT_EQ(f.kind, FaultKind::NotOrdered);
  EXPECT_EQ(f.action, reduce);
  EXPECT_NE(f.message.find("it reduces the gradient it writes"),
            std::string::npos);

  erase(p.plan, reduce);
  f = p.check();
  EXPECT_EQ(f.kind, FaultKind::MissingReduce);
  EXPECT_EQ(f.action, -1);
  EXPECT_EQ(f.message, "never all-reduces the gradient of chunk 1");
}

TEST(PlanCheckTest, WaitThatDeadlocks) {
  // Device 0 posts its gradient receive first and sends its activation
  // only after the gradient it needs that activation to produce has
  // arrived.
  Planned p = twoStages(1, BaselineKind::OneFOneB);
  moveEarlier(p.plan, find(p.plan, transfer(ActionKind::Recv, true, 0)), 0);
  int recvGrad = find(p.plan, transfer(ActionKind::Recv, true, 0));
  int sendAct = find(p.plan, transfer(ActionKind::Send, false, 0));
  ASSERT_EQ(recvGrad, 0);
  // That alone is a fault: the two devices issue the two messages in
  // opposite orders, which NCCL cannot make progress on.
  plan::Fault order = p.check();
  EXPECT_EQ(order.kind, FaultKind::IssueOrder);
  EXPECT_EQ(order.action, recvGrad);
  EXPECT_EQ(order.message,
            "NCCL operations are issued in orders no single order agrees "
            "with (NCCL may hang): device 0 issues this before send act "
            "chunk 0 mb 0 to device 1");
  ASSERT_EQ(order.notes.size(), 2u);
  EXPECT_EQ(order.notes[0].action, sendAct);
  p.plan.actions[sendAct].waits.push_back(recvGrad);
  plan::Fault f = p.check();
  EXPECT_EQ(f.kind, FaultKind::Deadlock);
  EXPECT_EQ(f.action, -1);
  EXPECT_EQ(f.message, "deadlocks: no stream can make progress");
  bool found = false;
  for (const plan::FaultNote &n : f.notes)
    found |= n.action == sendAct &&
             n.text == "device 0 stream send_next is stuck at send act chunk "
                       "0 mb 0 to device 1, waiting for recv grad chunk 0 mb 0 "
                       "from device 1";
  EXPECT_TRUE(found);
}

TEST(PlanCheckTest, DuplicatedExecAndMalformedWait) {
  Planned p = twoStages(1, BaselineKind::OneFOneB);
  int f0 = find(p.plan, exec(BlockKind::F, 0, 0));
  Planned twice = p;
  twice.plan.actions.push_back(twice.plan.actions[f0]);
  plan::Fault f = twice.check();
  EXPECT_EQ(f.kind, FaultKind::DuplicateExec);
  EXPECT_EQ(f.action, int(twice.plan.actions.size()) - 1);
  EXPECT_EQ(f.message, "runs F chunk 0 mb 0 a second time");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].action, f0);

  // A wait on a later action cannot come from IR; the data is rejected.
  p.plan.actions[f0].waits.push_back(int(p.plan.actions.size()) - 1);
  EXPECT_EQ(p.check().kind, FaultKind::Malformed);
}

TEST(PlanCheckTest, ScheduleWithoutADevicesProgram) {
  // The schedule lists only device 0's program; device 1 holds chunk 1 and
  // runs actions, which nothing would check against a program.
  Planned p = twoStages(1, BaselineKind::OneFOneB);
  plan::Fault f = plan::checkPlan(p.plan, {p.problem, p.schedule, {0}});
  EXPECT_EQ(f.kind, FaultKind::MissingProgram);
  EXPECT_EQ(f.action, -1);
  EXPECT_EQ(f.message, "has no program of device 1 in its schedule, but "
                       "chunk 1 is placed on it");
  EXPECT_FALSE(plan::checkPlan(p.plan, {p.problem, p.schedule, {1, 0}}));
}
} // namespace
