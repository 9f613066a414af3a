//===- PlanModelTest.cpp - The plan index and its modelled step -----------===//
//
// The index derives what each action touches (streams, slots, channels,
// waits, modelled times), and its modelled step matches closed forms on
// hand-built plans: (M + P - 1)(f + b) for GPipe and 1F1B without network
// cost, one round trip of latency and bandwidth on two devices, and link
// queues that serialize bandwidth windows but overlap latencies.
//
//===----------------------------------------------------------------------===//

#include "TestPlans.h"
#include "core/PlanIndex.h"

#include <gtest/gtest.h>

using namespace crosspipe::rt;
using namespace crosspipe::rt::test;

namespace {

PlanSpec freeNetwork(PlanSpec spec) {
  spec.crossLatencyMs = 0;
  spec.crossGbps = 0;
  return spec;
}

double modelled(TestPlan &plan) {
  PlanIndex index(*plan.get());
  EXPECT_TRUE(index.model().ok) << index.model().error;
  return index.model().makespanMs;
}

TEST(PlanModel, ClosedFormsWithoutNetworkCost) {
  for (PlanSpec::Schedule schedule : {PlanSpec::GPipe, PlanSpec::OneFOneB})
    for (int devices : {2, 3, 5})
      for (int microbatches : {1, 4, 9}) {
        PlanSpec spec;
        spec.schedule = schedule;
        spec.devices = devices;
        spec.microbatches = microbatches;
        TestPlan plan = buildPlan(freeNetwork(spec));
        EXPECT_DOUBLE_EQ(modelled(plan), (microbatches + devices - 1) * 30.0)
            << devices << "x" << microbatches;
      }
}

TEST(PlanModel, OneRoundTripOfLatencyAndBandwidth) {
  PlanSpec spec;
  spec.devices = 2;
  spec.microbatches = 1;
  spec.crossLatencyMs = 5;
  spec.crossGbps = 8; // 1 MiB: 1.048576 ms
  TestPlan plan = buildPlan(spec);
  // F0 10, act 1.05 + 5, F1 10, B1 20, grad 1.05 + 5, B0 20.
  EXPECT_NEAR(modelled(plan), 70 + 2 * 1.048576, 1e-9);
}

TEST(PlanModel, LinkQueuesSerializeBandwidthOnly) {
  // GPipe on two devices with slow bandwidth: the four activations leave
  // every 10 ms but need 20 ms each on the link, so they queue.
  PlanSpec spec;
  spec.schedule = PlanSpec::GPipe;
  spec.devices = 2;
  spec.microbatches = 4;
  spec.messageSlots = 4;
  spec.messageBytes = 20'000'000; // 20 ms at 8 Gbit/s
  spec.crossLatencyMs = 3;
  TestPlan plan = buildPlan(spec);
  PlanIndex index(*plan.get());
  ASSERT_TRUE(index.model().ok) << index.model().error;
  const crosspipe_program &p0 = plan.get()->programs[0];
  std::vector<double> windows;
  for (int i = 0; i < p0.count; ++i)
    if (p0.actions[i].op == CROSSPIPE_OP_SEND_ACT)
      windows.push_back(index.model().start[0][i]);
  ASSERT_EQ(windows.size(), 4u);
  for (int m = 0; m < 4; ++m)
    EXPECT_DOUBLE_EQ(windows[m], 10 + 20.0 * m) << m;
  // F1 of the last microbatch starts when its message arrives: 10 + 4 * 20
  // + 3.
  int f = plan.find(1, CROSSPIPE_OP_F, 1, 3);
  EXPECT_DOUBLE_EQ(index.model().start[1][f], 93);
}

TEST(PlanModel, IndexesWhatActionsTouch) {
  PlanSpec spec;
  spec.split = true;
  spec.parts = 2;
  spec.dp = true;
  spec.dpBuckets = 2;
  TestPlan plan = buildPlan(spec);
  PlanIndex index(*plan.get());
  int f = plan.find(1, CROSSPIPE_OP_F, 1, 3);
  const ActionInfo &info = index.info(1, f);
  EXPECT_EQ(info.stream, kComputeStream);
  EXPECT_EQ(std::string(plan.bufferNames[info.input.buffer]), "act0_d1");
  EXPECT_EQ(info.input.slot, 1);
  EXPECT_EQ(std::string(plan.bufferNames[info.output.buffer]), "act1_d1");
  EXPECT_EQ(std::string(plan.bufferNames[info.stash.buffer]), "stash1");
  EXPECT_FALSE(info.grads.valid());
  EXPECT_DOUBLE_EQ(info.modelMs, 5); // half of F
  EXPECT_EQ(info.numWaits, 2);       // its receive, the send of mb 1
  int recv = plan.find(1, CROSSPIPE_OP_RECV_GRAD, 1, 2);
  const ActionInfo &r = index.info(1, recv);
  EXPECT_EQ(r.stream, kRecvNextStream);
  EXPECT_EQ(r.peer, 2);
  EXPECT_EQ(r.seq, 2);
  EXPECT_EQ(index.channelMessages(r.channel), 4);
  int w = plan.find(2, CROSSPIPE_OP_W, 2, 0);
  EXPECT_TRUE(index.info(2, w).grads.valid());
  int ar = plan.find(0, CROSSPIPE_OP_ALLREDUCE, 0, 1);
  EXPECT_EQ(index.info(0, ar).stream, kDpStream);
  EXPECT_DOUBLE_EQ(index.info(0, ar).modelMs, 2.5);
}

TEST(PlanModelTest, LinksWithSeveralSenders) {
  // Four devices, two per datacenter: east->west carries only device 1's
  // activations, west->east only device 2's gradients.
  PlanSpec spec;
  spec.devices = 4;
  TestPlan plan = buildPlan(spec);
  EXPECT_TRUE(linksWithSeveralSenders(*plan.get()).empty());
  // Device 0's activations and device 2's gradients now also cross on
  // east->west (the link of channel 1 -> 2).
  int eastWest = -1;
  for (const crosspipe_channel &ch : plan.channelTable)
    if (ch.src == 1 && ch.dst == 2)
      eastWest = ch.link;
  ASSERT_GE(eastWest, 0);
  for (crosspipe_channel &ch : plan.channelTable)
    if ((ch.src == 0 && ch.dst == 1) || (ch.src == 2 && ch.dst == 1))
      ch.link = eastWest;
  EXPECT_EQ(linksWithSeveralSenders(*plan.get()),
            std::vector<std::string>{"link east->west (devices 0, 1, 2)"});
}

} // namespace
