//===- SolverInstanceTest.cpp - The task graph the solver builds ----------===//
//
// The translation from problem to task graph, checked where it is easy to
// count by hand: the time unit, which device orders stay open once memory
// precedences are in, and which links become queues with FIFO pairs.
//
//===----------------------------------------------------------------------===//

#include "SolverInstance.h"

#include "../Schedule/TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;
using namespace crosspipe::sched::test;

namespace {

Instance build(const Problem &p) {
  Instance inst;
  std::string err = buildInstance(p, refOneFOneB(p), 1000, inst);
  EXPECT_EQ(err, "");
  return inst;
}

TEST(SolverInstance, CoarsestExactUnit) {
  Problem p = makeUniform(2, 1, 2, true, 1, 0.25, 0.5, 0, 0);
  Instance inst = build(p);
  EXPECT_EQ(inst.unitsPerMs, 4);
  EXPECT_TRUE(inst.exactTimes);
  EXPECT_EQ(inst.tasks[inst.taskOf(0, 0, 1)].duration, 1);
  EXPECT_EQ(inst.tasks[inst.taskOf(0, 0, 2)].duration, 2);
}

TEST(SolverInstance, OneFOneBMemoryLeavesFewOrdersOpen) {
  // Device 1 may hold one activation: F(1, m + 1) waits for B(1, m), so its
  // order is fixed. Device 0 holds two: only F(0, m + 1) against B(0, m)
  // stays open, for m = 0, 1.
  Problem p = makeUniform(2, 1, 3, false, 1, 2, 0, 0, 0);
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  Instance inst = build(p);
  ASSERT_EQ(inst.pairs.size(), 2u);
  for (const OrderPair &pair : inst.pairs) {
    EXPECT_EQ(inst.tasks[pair.a].device, 0);
    EXPECT_EQ(inst.tasks[pair.b].device, 0);
  }
  EXPECT_TRUE(inst.memory.empty()); // One chunk per device: precedences only.
}

TEST(SolverInstance, UnlimitedMemoryOpensEveryUnorderedPair) {
  // Device 1 of two: F(1, i) against B(1, j) is open for i > j, 3 pairs.
  Problem p = makeUniform(2, 1, 3, false, 1, 2, 0, 0, 0);
  Instance inst = build(p);
  int onDevice1 = 0;
  for (const OrderPair &pair : inst.pairs)
    onDevice1 += inst.tasks[pair.a].device == 1;
  EXPECT_EQ(onDevice1, 3);
}

TEST(SolverInstance, SharedLinksQueueInFifoOrder) {
  // UD across two datacenters: one stream per direction, so chains only.
  Problem ud = makeUniform(2, 2, 3, false, 1, 2, 0, 1, 1);
  Instance a = build(ud);
  EXPECT_TRUE(a.queues.empty());
  EXPECT_TRUE(a.fifo.empty());
  // Wave on two devices in two datacenters: each direction carries an
  // activation stream and a gradient stream from the same device, so FIFO
  // follows their producers' order there: F(0, m) against B(3, m') is fixed
  // for m <= m' and open (one shared Boolean) for the 3 pairs m > m'.
  Problem wave = makeUniform(2, 2, 3, false, 1, 2, 0, 1, 1, Placement::Wave);
  Instance b = build(wave);
  EXPECT_EQ(b.queues.size(), 2u);
  EXPECT_EQ(b.fifo.size(), 6u);
  for (const FifoPair &f : b.fifo)
    EXPECT_TRUE(f.sameSender);
}

TEST(SolverInstance, SharedBudgetBecomesOrderChecks) {
  Problem p = makeUniform(2, 1, 2, false, 1, 2, 0, 0, 0, Placement::Wave);
  p.memoryLimitBytes.assign(2, 3 * kMiB);
  Instance inst = build(p);
  EXPECT_EQ(inst.memory.size(), 2u);
  // One check per F: two chunks times two microbatches per device.
  EXPECT_EQ(inst.memoryChecks.size(), 8u);
}

TEST(SolverInstance, BudgetBelowOneMicrobatchIsAnError) {
  Problem p = makeUniform(2, 1, 2, false, 1, 2, 0, 0, 0, Placement::Wave);
  p.memoryLimitBytes.assign(2, kMiB);
  Instance inst;
  std::string err = buildInstance(p, refGPipe(p), 100, inst);
  EXPECT_NE(err.find("memory budget of device 0"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot hold one microbatch"), std::string::npos) << err;
}

} // namespace
