//===- SimulatorTest.cpp - Closed-form checks of simulate() ---------------===//
//
// Checks the simulator against facts derived by hand, independent of its
// code: pipeline bubbles of GPipe and 1F1B, the 1F1B critical path across one
// high-latency link, link FIFO queueing and its tie rule, DP collectives,
// memory peaks, the makespan origin, deadlock reports, every malformed input,
// and its speed. Agreement with an independent naive simulator is tested in
// SimulatorFidelityTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

constexpr double kEps = 1e-9;

TEST(SimulatorTest, OneFOneBAndGPipeZeroDelayBubble) {
  // Equal stages, no delay: both take (M + P - 1)(f + b) and every device
  // idles (P - 1)/(M + P - 1) of the time.
  struct Case {
    int p, m;
  } cases[] = {{2, 2}, {4, 8}, {3, 5}, {4, 4}, {5, 3}};
  for (Case c : cases) {
    Problem prob = makeUniform(c.p, 1, c.m, false, 1.0, 2.0, 0, 0, 0);
    for (const Schedule &s : {refOneFOneB(prob), refGPipe(prob)}) {
      SimResult r = simulate(prob, s);
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_NEAR(r.makespanMs, (c.m + c.p - 1) * 3.0, kEps);
      for (int d = 0; d < c.p; ++d)
        EXPECT_NEAR(r.bubbleRatio[d], double(c.p - 1) / (c.m + c.p - 1), kEps);
      EXPECT_EQ(r.transfers.size(), size_t(2 * (c.p - 1) * c.m));
    }
    // 1F1B holds min(P - d, M) activations on device d, GPipe all M.
    SimResult one = simulate(prob, refOneFOneB(prob));
    SimResult all = simulate(prob, refGPipe(prob));
    for (int d = 0; d < c.p; ++d) {
      EXPECT_EQ(one.peakMemoryBytes[d],
                uint64_t(std::min(c.p - d, c.m)) * kMiB);
      EXPECT_EQ(all.peakMemoryBytes[d], uint64_t(c.m) * kMiB);
    }
  }
}

TEST(SimulatorTest, OneFOneBAcrossOneHighLatencyLink) {
  // Two stages in two datacenters, latency L. Device 0 runs F0 F1 B0 F2 B1
  // ..., so microbatches 2j and 2j+1 share one round trip: with t_i the end
  // of B_i on device 0, t_{2j} = t_{2j-2} + 2f + 2b + 2L and
  // t_{2j+1} = t_{2j} + f + b, hence for even M
  //   makespan = (M/2)(2f + 2b + 2L) + f + b = (M + 1)(f + b) + M L.
  for (int m : {2, 4, 8})
    for (double lat : {0.0, 0.5, 5.0}) {
      double f = 1, b = 2;
      Problem prob = makeUniform(2, 2, m, false, f, b, 0, lat, 0);
      SimResult r = simulate(prob, refOneFOneB(prob));
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_NEAR(r.makespanMs, (m + 1) * (f + b) + m * lat, kEps)
          << "M=" << m << " L=" << lat;
    }
  // One microbatch through four stages, the middle boundary crossing
  // datacenters: one forward and one backward hop of latency + bandwidth.
  Problem prob = makeUniform(4, 2, 1, false, 1.0, 2.0, 0, 3.0, 0.25);
  SimResult r = simulate(prob, refOneFOneB(prob));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NEAR(r.makespanMs, 4 * 3.0 + 2 * (3.0 + 0.25), kEps);
}

TEST(SimulatorTest, LinkQueuesMessagesFifo) {
  // GPipe on two datacenters, bandwidth 3 ms per message, latency 0.5: the
  // second activation is sent at 2 but waits for the link until 4.
  Problem prob = makeUniform(2, 2, 2, false, 1.0, 1.0, 0, 0.5, 3.0);
  SimResult r = simulate(prob, refGPipe(prob));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_GE(r.transfers.size(), 2u);
  const TransferEvent &first = r.transfers[0], &second = r.transfers[1];
  EXPECT_FALSE(first.gradient);
  EXPECT_EQ(first.mb, 0);
  EXPECT_NEAR(first.sendMs, 1.0, kEps);
  EXPECT_NEAR(first.occupancy.startMs, 1.0, kEps);
  EXPECT_NEAR(first.arrivalMs, 4.5, kEps);
  EXPECT_EQ(second.mb, 1);
  EXPECT_NEAR(second.sendMs, 2.0, kEps);
  EXPECT_NEAR(second.occupancy.startMs, 4.0, kEps);
  EXPECT_NEAR(second.occupancy.endMs, 7.0, kEps);
  EXPECT_NEAR(second.arrivalMs, 7.5, kEps);
  EXPECT_NEAR(r.times[1][1].startMs, 7.5, kEps);
  EXPECT_TRUE(second.link.crossDc);
}

TEST(SimulatorTest, SameSendTimeQueuesLowerDeviceFirst) {
  // Devices 0,1 in dc0 and 2,3 in dc1; chunks 0..3 on devices 0,2,1,3, so
  // both dc0 devices send over dc0->dc1. Forward of chunk 0 takes 4 ms, the
  // rest 1 ms, each message 1 ms of bandwidth: F(0,1) on device 0 and
  // F(2,0) on device 1 both end at 8 and queue on the same link; device 0
  // goes first.
  Problem prob = makeUniform(4, 2, 2, false, 1.0, 1.0, 0, 0.0, 1.0);
  prob.placement = Placement::Custom;
  int devOf[] = {0, 2, 1, 3};
  for (int c = 0; c < 4; ++c)
    prob.chunks[c].device = devOf[c];
  prob.chunks[0].forwardMs = 4.0;
  SimResult r = simulate(prob, refGPipe(prob));
  ASSERT_TRUE(r.ok) << r.error;
  const TransferEvent *fromDev0 = nullptr, *fromDev1 = nullptr;
  for (const TransferEvent &t : r.transfers) {
    if (!t.gradient && t.chunk == 0 && t.mb == 1)
      fromDev0 = &t;
    if (!t.gradient && t.chunk == 2 && t.mb == 0)
      fromDev1 = &t;
  }
  ASSERT_TRUE(fromDev0 && fromDev1);
  EXPECT_NEAR(fromDev0->sendMs, 8.0, kEps);
  EXPECT_NEAR(fromDev1->sendMs, 8.0, kEps);
  EXPECT_TRUE(fromDev0->link == fromDev1->link);
  EXPECT_NEAR(fromDev0->occupancy.startMs, 8.0, kEps);
  EXPECT_NEAR(fromDev1->occupancy.startMs, 9.0, kEps);
  EXPECT_NEAR(r.times[3][0].startMs, 10.0, kEps); // F(3,0) after arrival.
}

TEST(SimulatorTest, DataParallelCollectives) {
  // One device holding chunks 0 and 1, M = 1: B1 ends at 3, B0 at 4. The
  // all-reduces (6 ms for chunk 1, 3 ms for chunk 0) queue FIFO by ready
  // time on the device's communication resource: [3, 9] then [9, 12].
  Problem prob =
      makeUniform(1, 1, 1, false, 1.0, 1.0, 0, 0, 0, Placement::Interleaved, 2);
  prob.dpDegree = 2;
  prob.links[0].cost.bandwidthGbps = 1000.0 / 3.0; // One message in 3 ms.
  prob.chunks[0].messageBytes = prob.chunks[1].messageBytes = 0;
  prob.chunks[0].gradientBytes = kMessageBytes;
  prob.chunks[1].gradientBytes = 2 * kMessageBytes;
  ASSERT_NEAR(prob.allreduceMs(0), 3.0, kEps);
  Schedule s;
  s.order = {{blk(BlockKind::F, 0, 0), blk(BlockKind::F, 1, 0),
              blk(BlockKind::B, 1, 0), blk(BlockKind::B, 0, 0)}};
  SimResult r = simulate(prob, s);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.collectives.size(), 2u);
  EXPECT_EQ(r.collectives[1].chunk, 1);
  EXPECT_NEAR(r.collectives[1].time.startMs, 3.0, kEps);
  EXPECT_NEAR(r.collectives[1].time.endMs, 9.0, kEps);
  EXPECT_NEAR(r.collectives[0].time.startMs, 9.0, kEps);
  EXPECT_NEAR(r.collectives[0].time.endMs, 12.0, kEps);
  EXPECT_NEAR(r.makespanMs, 12.0, kEps);
  // Collectives never block compute: busy 4 ms out of 12.
  EXPECT_NEAR(r.bubbleRatio[0], 1.0 - 4.0 / 12.0, kEps);
}

TEST(SimulatorTest, DataParallelAcrossDevices) {
  // 1F1B on two devices, f = b = 1: B1 of chunk 1 ends at 5, chunk 0 at 6;
  // all-reduces of 3 and 6 ms run on separate devices.
  Problem prob = makeUniform(2, 1, 2, false, 1.0, 1.0, 0, 0, 0);
  prob.dpDegree = 2;
  prob.links[0].cost.bandwidthGbps = 1000.0 / 3.0;
  prob.chunks[0].messageBytes = prob.chunks[1].messageBytes = 0;
  prob.chunks[0].gradientBytes = kMessageBytes;
  prob.chunks[1].gradientBytes = 2 * kMessageBytes;
  SimResult r = simulate(prob, refOneFOneB(prob));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NEAR(r.collectives[0].time.startMs, 6.0, kEps);
  EXPECT_NEAR(r.collectives[0].time.endMs, 9.0, kEps);
  EXPECT_NEAR(r.collectives[1].time.startMs, 5.0, kEps);
  EXPECT_NEAR(r.collectives[1].time.endMs, 11.0, kEps);
  EXPECT_NEAR(r.makespanMs, 11.0, kEps);
}

TEST(SimulatorTest, MakespanStartsAtFirstForwardOnDeviceZero) {
  // Chunk 0 on device 1, chunk 1 on device 0: F0 [0,1] on device 1, then
  // F1 [1,2], B1 [2,3] on device 0 and B0 [3,4]; measured from 1.
  Problem prob = makeUniform(2, 1, 1, false, 1.0, 1.0, 0, 0, 0);
  prob.placement = Placement::Custom;
  prob.chunks[0].device = 1;
  prob.chunks[1].device = 0;
  Schedule s;
  s.order = {{blk(BlockKind::F, 1, 0), blk(BlockKind::B, 1, 0)},
             {blk(BlockKind::F, 0, 0), blk(BlockKind::B, 0, 0)}};
  SimResult r = simulate(prob, s);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NEAR(r.makespanMs, 3.0, kEps);
}

TEST(SimulatorTest, ReportsDeadlockWithStalls) {
  // Device 0 wants B(0,0) before F(0,1); device 1 wants F(1,1) before
  // B(1,0): each waits for a block the other runs later.
  Problem prob = makeUniform(2, 1, 2, false, 1.0, 1.0, 0, 0, 0);
  Schedule s;
  s.order = {{blk(BlockKind::F, 0, 0), blk(BlockKind::B, 0, 0),
              blk(BlockKind::F, 0, 1), blk(BlockKind::B, 0, 1)},
             {blk(BlockKind::F, 1, 1), blk(BlockKind::B, 1, 1),
              blk(BlockKind::F, 1, 0), blk(BlockKind::B, 1, 0)}};
  SimResult r = simulate(prob, s);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("deadlock"), std::string::npos) << r.error;
  ASSERT_EQ(r.stalls.size(), 2u);
  EXPECT_EQ(r.stalls[0].device, 0);
  EXPECT_TRUE(r.stalls[0].blocked == blk(BlockKind::B, 0, 0));
  EXPECT_TRUE(r.stalls[0].waitsFor == blk(BlockKind::B, 1, 0));
  EXPECT_EQ(r.stalls[0].waitsForDevice, 1);
  EXPECT_EQ(r.stalls[1].device, 1);
  EXPECT_TRUE(r.stalls[1].blocked == blk(BlockKind::F, 1, 1));
  EXPECT_TRUE(r.stalls[1].waitsFor == blk(BlockKind::F, 0, 1));
  EXPECT_EQ(r.stalls[1].waitsForDevice, 0);
  EXPECT_NE(r.error.find("device 1 waits at F(chunk 1, mb 1) for F(chunk 0, "
                         "mb 1) on device 0"),
            std::string::npos)
      << r.error;
}

TEST(SimulatorTest, SameDeviceDependencyOutOfOrderDeadlocks) {
  // W before its D on the same device can never run.
  Problem prob = makeUniform(1, 1, 1, true, 1.0, 1.0, 1.0, 0, 0);
  Schedule s;
  s.order = {{blk(BlockKind::F, 0, 0), blk(BlockKind::W, 0, 0),
              blk(BlockKind::D, 0, 0)}};
  SimResult r = simulate(prob, s);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.stalls.size(), 1u);
  EXPECT_TRUE(r.stalls[0].waitsFor == blk(BlockKind::D, 0, 0));
  EXPECT_EQ(r.stalls[0].waitsForDevice, 0);
}

TEST(SimulatorTest, RejectsMalformedInput) {
  Problem fused = makeUniform(2, 1, 2, false, 1.0, 1.0, 0, 0, 0);
  Problem split = makeUniform(2, 1, 2, true, 1.0, 1.0, 1.0, 0, 0);
  Schedule good = refOneFOneB(fused);
  ASSERT_TRUE(simulate(fused, good).ok);
  ASSERT_TRUE(simulate(split, refOneFOneB(split)).ok);

  struct Case {
    const char *name;
    std::function<void(Problem &, Schedule &)> mutate;
    bool useSplit;
    const char *expect;
  } cases[] = {
      {"device count", [](Problem &, Schedule &s) { s.order.pop_back(); },
       false, "schedule has 1 device orders but the problem has 2 devices"},
      {"unknown chunk", [](Problem &, Schedule &s) { s.order[0][0].chunk = 7; },
       false, "device 0 position 0: F(chunk 7, mb 0) names unknown chunk 7"},
      {"negative chunk",
       [](Problem &, Schedule &s) { s.order[0][0].chunk = -1; }, false,
       "names unknown chunk -1"},
      {"unknown mb", [](Problem &, Schedule &s) { s.order[1][2].mb = 2; },
       false,
       "device 1 position 2: F(chunk 1, mb 2) names unknown microbatch 2"},
      {"B when split",
       [](Problem &, Schedule &s) { s.order[1][1].kind = BlockKind::B; }, true,
       "B(chunk 1, mb 0) is a fused backward but the problem splits"},
      {"D when fused",
       [](Problem &, Schedule &s) { s.order[1][1].kind = BlockKind::D; }, false,
       "D(chunk 1, mb 0) is a split backward but the problem uses fused"},
      {"W when fused",
       [](Problem &, Schedule &s) { s.order[1][1].kind = BlockKind::W; }, false,
       "is a split backward"},
      {"bad kind",
       [](Problem &, Schedule &s) { s.order[0][1].kind = BlockKind(9); }, false,
       "device 0 position 1: unknown block kind 9"},
      {"wrong device",
       [](Problem &, Schedule &s) {
         s.order[1].push_back(s.order[0].back());
         s.order[0].pop_back();
       },
       false,
       "B(chunk 0, mb 1) is on device 1 but chunk 0 is placed on device 0"},
      {"missing", [](Problem &, Schedule &s) { s.order[1].pop_back(); }, false,
       "missing block B(chunk 1, mb 1) (expected on device 1)"},
      {"duplicate",
       [](Problem &, Schedule &s) { s.order[0][3] = s.order[0][2]; }, false,
       "device 0 position 3: duplicate block B(chunk 0, mb 0)"},
      {"missing W", [](Problem &, Schedule &s) { s.order[0].pop_back(); }, true,
       "missing block W(chunk 0, mb 1)"},
      {"missing part",
       [](Problem &, Schedule &s) {
         s.order[0][0].parts = 2; // Only part 0 of 2 present.
       },
       false, "missing block F(chunk 0, mb 0, part 1/2)"},
      {"part out of range",
       [](Problem &, Schedule &s) { s.order[0][0].part = 1; }, false,
       "device 0 position 0: F(chunk 0, mb 0) has invalid part 1 of 1"},
      {"zero parts", [](Problem &, Schedule &s) { s.order[0][0].parts = 0; },
       false, "has invalid part 0 of 0"},
      {"parts out of order",
       [](Problem &, Schedule &s) {
         std::vector<Block> &o = s.order[0];
         Block f = o[0];
         f.parts = 2;
         o[0] = f;
         f.part = 1;
         o.insert(o.begin(), f);
       },
       false,
       "device 0 position 0: F(chunk 0, mb 0, part 1/2) comes before "
       "F(chunk 0, mb 0, part 0/2)"},
      {"parts mismatch",
       [](Problem &, Schedule &s) {
         std::vector<Block> &o = s.order[0];
         o[0].parts = 2;
         Block f = o[0];
         f.part = 1;
         f.parts = 3;
         o.insert(o.begin() + 1, f);
       },
       false, "is cut into 3 parts but into 2 at device 0 position 0"},
      {"no microbatches", [](Problem &p, Schedule &) { p.numMicrobatches = 0; },
       false, "problem has 0 microbatches"},
      {"no devices", [](Problem &p, Schedule &) { p.datacenters.clear(); },
       false, "problem has no devices"},
      {"no chunks", [](Problem &p, Schedule &) { p.chunks.clear(); }, false,
       "problem has no chunks"},
      {"chunk device", [](Problem &p, Schedule &) { p.chunks[1].device = 5; },
       false, "chunk 1 is placed on device 5 but the problem has 2 devices"},
      {"negative time",
       [](Problem &p, Schedule &) { p.chunks[0].forwardMs = -1; }, false,
       "chunk 0 has a negative or non-finite duration"},
      {"nan time", [](Problem &p, Schedule &) { p.chunks[1].backwardMs = NAN; },
       false, "chunk 1 has a negative or non-finite duration"},
      {"dp degree", [](Problem &p, Schedule &) { p.dpDegree = 0; }, false,
       "dp degree 0 < 1"},
      {"negative latency",
       [](Problem &p, Schedule &) { p.links[0].cost.latencyMs = -2; }, false,
       "link 0->0 has a negative or non-finite cost"},
  };
  for (Case &c : cases) {
    Problem p = c.useSplit ? split : fused;
    Schedule s = refOneFOneB(p);
    c.mutate(p, s);
    SimResult r = simulate(p, s);
    EXPECT_FALSE(r.ok) << c.name;
    EXPECT_NE(r.error.find(c.expect), std::string::npos)
        << c.name << ": got \"" << r.error << "\"";
  }
}

TEST(SimulatorTest, HandlesSubBlocks) {
  // One device, F cut into 4 parts and B into 2: durations add up and the
  // activation is held from the first F part to the last B part.
  Problem prob = makeUniform(1, 1, 1, false, 2.0, 4.0, 0, 0, 0);
  Schedule s;
  s.order.resize(1);
  for (int i = 0; i < 4; ++i)
    s.order[0].push_back(blk(BlockKind::F, 0, 0, i, 4));
  for (int i = 0; i < 2; ++i)
    s.order[0].push_back(blk(BlockKind::B, 0, 0, i, 2));
  SimResult r = simulate(prob, s);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NEAR(r.times[0][1].startMs, 0.5, kEps);
  EXPECT_NEAR(r.times[0][5].startMs, 4.0, kEps);
  EXPECT_NEAR(r.makespanMs, 6.0, kEps);
  EXPECT_EQ(r.peakMemoryBytes[0], kMiB);
}

TEST(SimulatorTest, SimulatesAHundredThousandBlocksQuickly) {
  // 64 devices in 4 datacenters, 512 microbatches, split backward: 98,304
  // blocks. The target is >= 2M blocks/s with -O2; the assertion only
  // catches super-linear behaviour, which would take minutes here.
  Problem prob = makeUniform(64, 4, 512, true, 1.0, 1.0, 1.0, 2.0, 0.5);
  Schedule s = refOneFOneB(prob);
  size_t blocks = 0;
  for (auto &o : s.order)
    blocks += o.size();
  ASSERT_EQ(blocks, 98304u);
  auto start = std::chrono::steady_clock::now();
  SimResult r = simulate(prob, s);
  double sec =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(r.ok) << r.error;
  std::cout << "[ perf     ] " << blocks << " blocks in " << sec * 1e3
            << " ms = " << blocks / sec / 1e6 << " M blocks/s\n";
  EXPECT_LT(sec, 2.0);
}

} // namespace
