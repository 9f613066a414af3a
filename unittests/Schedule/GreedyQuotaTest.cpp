//===- GreedyQuotaTest.cpp - The greedy's wave start-up quota -------------===//
//
// On a V or a loop, the rules named "<rule>-quotaK" let a device's first
// chunk hold at most an even split of the device's activation slots plus K
// (GreedyRule::quotaExtra in lib/Schedule), so that microbatches coming back
// through the later chunks find memory. These tests check the cap on the
// schedules themselves, by walking each device's order, and that the quota
// reaches a hand-computed optimum that no rule without it reaches.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Greedy.h"

#include "crosspipe/Schedule/ScheduleCheck.h"
#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

/// One rule's own schedule: whole blocks, no promotions, no local search,
/// no baselines.
GreedyResult runRule(const Problem &p, const std::string &rule) {
  GreedyOptions o;
  o.exactSubBlocks = true;
  o.rules = {rule};
  o.improveIterations = 0;
  o.pilot = false;
  o.localSearch = false;
  o.includeBaselines = false;
  return scheduleGreedy(p, o);
}

/// The schedule is complete, keeps dependencies on each device, stays in the
/// memory budget and simulates to `makespanMs`.
void expectValid(const Problem &p, const GreedyResult &r) {
  ASSERT_TRUE(r.ok) << r.error;
  BlockIndex index;
  EXPECT_FALSE(checkComplete(p, r.schedule, index)) << r.rule;
  EXPECT_FALSE(checkDeviceOrder(p, r.schedule, index)) << r.rule;
  SimResult sim = simulate(p, r.schedule);
  ASSERT_TRUE(sim.ok) << sim.error;
  EXPECT_FALSE(checkMemory(p, r.schedule, sim)) << r.rule;
  EXPECT_NEAR(sim.makespanMs, r.makespanMs, 1e-9 * r.makespanMs) << r.rule;
}

/// The most activations of its first chunk any device holds at once, as a
/// multiple of that chunk's activation, per device (F takes it, the chunk's
/// last backward block gives it back).
std::vector<int> firstChunkPeaks(const Problem &p, const Schedule &s) {
  std::vector<int> peaks(p.numDevices(), 0);
  BlockKind last = p.splitBackward ? BlockKind::W : BlockKind::B;
  for (int d = 0; d < p.numDevices(); ++d) {
    int first = p.chunksOnDevice(d).front(), held = 0;
    for (const Block &b : s.order[d]) {
      if (b.chunk != first || b.part + 1 != b.parts)
        continue;
      held += b.kind == BlockKind::F ? 1 : b.kind == last ? -1 : 0;
      peaks[d] = std::max(peaks[d], held);
    }
  }
  return peaks;
}

// Two devices in two datacenters on a V (device 0 holds chunks 0 and 3,
// device 1 chunks 1 and 2), four microbatches, F = D = W = 10 ms, a 5 ms
// message between the devices and room for five chunk activations each.
// Device 1 has 2 chunks x 4 microbatches x 30 ms = 240 ms of work and
// nothing to do before chunk 0's first F has ended on device 0 (10 ms) and
// its message has arrived (5 ms), so no schedule ends before 255 ms. With
// the quota (two slots of five plus one for chunk 0) zb reaches that bound;
// without it, device 0 fills its memory with chunk 0 and the microbatches
// coming back through chunk 3 hold device 1 up: no rule reaches 255 alone.
TEST(GreedyQuota, ReachesTheBusyDeviceBoundOnATinyV) {
  Problem p =
      makeUniform(2, 2, 4, /*split=*/true, 10, 10, 10, 0, 5, Placement::Wave);
  p.memoryLimitBytes.assign(2, 5 * kMiB);
  const double bound = 10 + 5 + 2 * 4 * 30;
  GreedyResult q = runRule(p, "zb-quota1");
  expectValid(p, q);
  EXPECT_DOUBLE_EQ(q.makespanMs, bound);
  for (const std::string &name : greedyRuleNames()) {
    if (name.find("-quota") != std::string::npos)
      continue;
    GreedyResult r = runRule(p, name);
    ASSERT_TRUE(r.ok) << name << ": " << r.error;
    EXPECT_GT(r.makespanMs, bound) << name;
  }
  // The portfolio keeps the best candidate, so it finds the bound too.
  GreedyResult all = scheduleGreedy(p);
  expectValid(p, all);
  EXPECT_DOUBLE_EQ(all.makespanMs, bound) << all.rule;
}

// On waves and loops of several sizes and budgets, every quota rule's
// schedule is valid and no device's first chunk ever holds more than its
// quota: floor(slots / chunks on the device) + K activations, while the
// same rules without a quota go past it.
TEST(GreedyQuota, FirstChunkNeverHoldsMoreThanItsQuota) {
  struct Case {
    int devices, microbatches, slots;
    Placement placement;
    double lat, bw;
  } cases[] = {
      {2, 6, 5, Placement::Wave, 0, 5},
      {4, 8, 4, Placement::Wave, 30, 5},
      {4, 8, 8, Placement::Wave, 10, 0},
      {4, 8, 6, Placement::Interleaved, 20, 2},
  };
  int capsThatBind = 0;
  for (const Case &c : cases) {
    Problem p = makeUniform(c.devices, 2, c.microbatches, /*split=*/true, 10,
                            10, 10, c.lat, c.bw, c.placement);
    p.memoryLimitBytes.assign(c.devices, uint64_t(c.slots) * kMiB);
    // Without the quota, some first chunk takes more than the smallest one.
    for (const char *base : {"dfw", "zb", "zb-reserve"}) {
      GreedyResult r = runRule(p, base);
      ASSERT_TRUE(r.ok) << base << ": " << r.error;
      std::vector<int> peaks = firstChunkPeaks(p, r.schedule);
      for (int d = 0; d < c.devices; ++d)
        capsThatBind +=
            peaks[d] > c.slots / int(p.chunksOnDevice(d).size()) ? 1 : 0;
    }
    for (int extra = 0; extra <= 2; ++extra)
      for (const char *base : {"dfw", "zb", "zb-reserve"}) {
        std::string name = std::string(base) + "-quota" + std::to_string(extra);
        SCOPED_TRACE(name + " on " + std::to_string(c.devices) + " devices, " +
                     std::to_string(c.slots) + " slots");
        GreedyResult r = runRule(p, name);
        expectValid(p, r);
        std::vector<int> peaks = firstChunkPeaks(p, r.schedule);
        for (int d = 0; d < c.devices; ++d) {
          int chunks = int(p.chunksOnDevice(d).size());
          EXPECT_LE(peaks[d], std::min(c.slots, c.slots / chunks + extra))
              << "device " << d;
        }
      }
  }
  EXPECT_GT(capsThatBind, 0);
}

} // namespace
