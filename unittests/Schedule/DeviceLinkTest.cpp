//===- DeviceLinkTest.cpp - Per device pair links, by hand ----------------===//
//
// Links of single device pairs (Problem::deviceLinks) against timelines
// worked out by hand: a pair's own latency and bandwidth replace its
// datacenters' link, its messages keep queuing on that link behind other
// pairs' unless it has a separate path, and the greedy times the shared
// queue exactly as the simulator does, also where an interleaved
// placement's activations and gradients of different pairs cross one
// datacenter boundary.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

/// East {0, 1}, west {2, 3}; the datacenter links have no latency and move
/// a message in 4 ms. Stages 0..3 sit on devices 0, 2, 1, 3, so two device
/// pairs cross east -> west (0 -> 2 activations, 1 -> 3 activations, and
/// 1 -> 2 gradients) and two cross back. F = 1 ms, B = 2 ms, 3 microbatches.
Problem crossing() {
  Problem p = makeUniform(4, 2, 3, false, 1, 2, 0, 0, 4);
  p.placement = Placement::Custom;
  const int device[] = {0, 2, 1, 3};
  for (int c = 0; c < 4; ++c)
    p.chunks[c].device = device[c];
  return p;
}

/// GPipe on every device: all F, then all B.
Schedule gpipe(const Problem &p) {
  Schedule s;
  s.order.resize(p.numDevices());
  for (BlockKind k : {BlockKind::F, BlockKind::B})
    for (int c = 0; c < p.numChunks(); ++c)
      for (int mb = 0; mb < p.numMicrobatches; ++mb)
        s.order[p.chunks[c].device].push_back(blk(k, c, mb));
  return s;
}

double arrival(const SimResult &r, bool gradient, int boundary, int mb) {
  for (const TransferEvent &t : r.transfers)
    if (t.gradient == gradient && t.boundary() == boundary && t.mb == mb)
      return t.arrivalMs;
  ADD_FAILURE() << "no transfer";
  return -1;
}

// By hand: F(0) ends at 1, 2, 3; its activations hold east->west over
// [1, 5], [5, 9], [9, 13], so F(1) runs at 5, 9, 13 and F(2) on device 1 at
// 10, 14, 18 (west->east over [6, 10], [10, 14], [14, 18]). Stage 2's first
// activation leaves at 11, while east->west is busy until 13:
// - over the datacenter link it queues to [13, 17] and arrives at 17;
// - over the pair's own 1 ms link sharing that queue, [13, 14] + 1 ms
//   latency: 15;
// - over a separate path, [11, 12] + 1: 13.
// Then, with the shared pair links both ways (3 -> 1 shares west->east,
// free from 18): F(3) at 15, 17, 21; B(3) at 22, 24, 26; its gradients
// arrive at 26, 28, 30; B(2) at 26, 28, 30; those gradients go over the
// datacenter link east->west ([28, 32], [32, 36], [36, 40]); B(1) at 32,
// 36, 40; west->east [34, 38], [38, 42], [42, 46]; B(0) at 38, 42, 46: the
// step ends at 48.
TEST(DeviceLink, SharedQueueAndSeparatePathByHand) {
  Problem p = crossing();
  SimResult plain = simulate(p, gpipe(p));
  ASSERT_TRUE(plain.ok) << plain.error;
  EXPECT_NEAR(arrival(plain, false, 2, 0), 17, 1e-9);

  DeviceLink own;
  own.fromDevice = 1;
  own.toDevice = 3;
  own.cost.latencyMs = 1;
  own.cost.bandwidthGbps = 1000; // 1 ms per message.
  DeviceLink back = own;
  std::swap(back.fromDevice, back.toDevice);
  p.deviceLinks = {own, back};
  EXPECT_EQ(p.linkBetween(1, 3), p.linkBetween(0, 2));
  SimResult shared = simulate(p, gpipe(p));
  ASSERT_TRUE(shared.ok) << shared.error;
  EXPECT_NEAR(arrival(shared, false, 2, 0), 15, 1e-9);
  EXPECT_NEAR(arrival(shared, false, 2, 1), 17, 1e-9);
  EXPECT_NEAR(arrival(shared, false, 2, 2), 21, 1e-9);
  EXPECT_NEAR(arrival(shared, true, 2, 0), 26, 1e-9);
  EXPECT_NEAR(arrival(shared, true, 1, 2), 40, 1e-9);
  EXPECT_NEAR(shared.makespanMs, 48, 1e-9);

  for (DeviceLink &l : p.deviceLinks)
    l.separatePath = true;
  EXPECT_FALSE(p.linkBetween(1, 3) == p.linkBetween(0, 2));
  EXPECT_EQ(p.linkName(p.linkBetween(1, 3)), "dev1->dev3");
  SimResult separate = simulate(p, gpipe(p));
  ASSERT_TRUE(separate.ok) << separate.error;
  EXPECT_NEAR(arrival(separate, false, 2, 0), 13, 1e-9);
  // B(3) waits for the last F(3) at 21 either way.
  EXPECT_NEAR(separate.makespanMs, 48, 1e-9);
}

// The greedy times the shared queue as the simulator does, and no lower
// bound exceeds it: on the crossing pipeline and on an interleaved one where
// east -> west carries stage 1's activations (device 1 -> 2) and stage 4's
// gradients (device 0 -> 3), each pair with its own cost.
TEST(DeviceLink, GreedyModelsTheSharedQueue) {
  Problem interleaved =
      makeUniform(4, 2, 6, true, 1, 1, 1, 2, 3, Placement::Interleaved);
  std::vector<Problem> problems = {crossing(), interleaved};
  for (Problem &p : problems) {
    for (auto [a, b, lat, gbps] :
         {std::make_tuple(1, 2, 0.5, 2000.0), std::make_tuple(0, 3, 3.0, 250.0),
          std::make_tuple(1, 3, 1.0, 1000.0)})
      for (auto [x, y] : {std::make_pair(a, b), std::make_pair(b, a)}) {
        DeviceLink l;
        l.fromDevice = x;
        l.toDevice = y;
        l.cost.latencyMs = lat;
        l.cost.bandwidthGbps = gbps;
        p.deviceLinks.push_back(l);
      }
    for (bool separate : {false, true}) {
      for (DeviceLink &l : p.deviceLinks)
        l.separatePath =
            separate && p.dcOfDevice(l.fromDevice) != p.dcOfDevice(l.toDevice);
      ASSERT_EQ(validate(p), "");
      GreedyOptions options;
      options.includeBaselines = false;
      GreedyResult g = scheduleGreedy(p, options);
      ASSERT_TRUE(g.ok) << g.error;
      EXPECT_NEAR(g.predictedMakespanMs, g.greedyMakespanMs, 1e-9);
      EXPECT_LE(computeLowerBound(p).makespanMs, g.makespanMs + 1e-9);
    }
  }
}

TEST(DeviceLink, Validation) {
  Problem p = crossing();
  DeviceLink l;
  l.fromDevice = 1;
  l.toDevice = 4;
  p.deviceLinks = {l};
  EXPECT_EQ(validate(p),
            "device link 1->4 does not join two devices of the problem");
  p.deviceLinks[0].toDevice = 3;
  p.deviceLinks[0].cost.latencyMs = -1;
  EXPECT_EQ(validate(p), "device link 1->3 has a negative or non-finite cost");
}

} // namespace
