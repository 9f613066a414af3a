//===- SimulatorFidelityTest.cpp - simulate() against a naive model -------===//
//
// Runs simulate() and the independent fixed-point simulator of
// NaiveSimulator.h on 1F1B, GPipe and hundreds of random valid orders (with
// sub-blocks, uneven chunks, several datacenters, all placements, DP) and
// requires identical block times, makespans, memory peaks and collectives.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Simulator.h"

#include "NaiveSimulator.h"
#include "TestProblems.h"

#include <gtest/gtest.h>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

constexpr double kEps = 1e-9;

void expectSameAsNaive(const Problem &prob, const Schedule &s,
                       const std::string &what) {
  SimResult r = simulate(prob, s);
  ASSERT_TRUE(r.ok) << what << ": " << r.error;
  NaiveResult n = naiveSimulate(prob, s);
  ASSERT_TRUE(n.converged) << what;
  for (size_t d = 0; d < s.order.size(); ++d) {
    for (size_t i = 0; i < s.order[d].size(); ++i) {
      ASSERT_NEAR(r.times[d][i].startMs, n.start[d][i], kEps)
          << what << " device " << d << " position " << i;
      ASSERT_NEAR(r.times[d][i].endMs, n.end[d][i], kEps)
          << what << " device " << d << " position " << i;
    }
    EXPECT_EQ(r.peakMemoryBytes[d], n.peakMemory[d]) << what << " device " << d;
  }
  EXPECT_NEAR(r.makespanMs, n.makespan, kEps) << what;
  if (prob.dpDegree > 1) {
    ASSERT_EQ(r.collectives.size(), n.collectiveEnd.size()) << what;
    for (size_t c = 0; c < n.collectiveEnd.size(); ++c)
      EXPECT_NEAR(r.collectives[c].time.endMs, n.collectiveEnd[c], kEps)
          << what << " chunk " << c;
  }
}

/// Gives every chunk its own durations, message size, activation and share
/// of it that W keeps, so that nothing lines up by accident.
void perturb(Problem &prob, std::mt19937 &rng) {
  std::uniform_real_distribution<double> time(0.2, 3.0), scale(0.3, 2.0);
  std::uniform_int_distribution<int> act(1, 4);
  for (Chunk &c : prob.chunks) {
    c.forwardMs = time(rng);
    c.backwardMs = prob.splitBackward ? 0 : time(rng);
    c.dgradMs = prob.splitBackward ? time(rng) : 0;
    c.wgradMs = prob.splitBackward ? time(rng) : 0;
    c.messageBytes = uint64_t(double(kMessageBytes) * scale(rng));
    c.activationBytes = uint64_t(act(rng)) * kMiB + uint64_t(act(rng));
    // Some chunks let D free part of the activation (odd sizes, so that
    // sub-blocks split it unevenly), others keep it all until W.
    if (act(rng) > 2)
      c.wgradActivationBytes = c.activationBytes / uint64_t(act(rng) + 1);
    c.gradientBytes = uint64_t(double(kMessageBytes) * scale(rng));
  }
}

TEST(SimulatorFidelityTest, OneFOneBAndGPipeWithDelays) {
  for (bool split : {false, true}) {
    Problem prob = makeUniform(4, 2, 6, split, 1.0, 2.0, 1.0, 1.5, 0.7);
    expectSameAsNaive(prob, refOneFOneB(prob), "1f1b");
    expectSameAsNaive(prob, refGPipe(prob), "gpipe");
    std::mt19937 rng(split);
    perturb(prob, rng);
    prob.dpDegree = 2;
    expectSameAsNaive(prob, refOneFOneB(prob), "1f1b uneven");
    expectSameAsNaive(prob, refGPipe(prob), "gpipe uneven");
  }
}

TEST(SimulatorFidelityTest, RandomValidOrders) {
  struct Shape {
    int devices, dcs, m;
    bool split;
    Placement placement;
    int perDevice;
  } shapes[] = {
      {3, 2, 3, false, Placement::Unidirectional, 1},
      {4, 2, 4, true, Placement::Unidirectional, 1},
      {2, 2, 3, true, Placement::Wave, 2},
      {3, 3, 3, false, Placement::Interleaved, 2},
      {4, 2, 2, true, Placement::Custom, 1},
      {5, 5, 2, false, Placement::Unidirectional, 1},
  };
  int checked = 0;
  for (const Shape &sh : shapes) {
    for (unsigned seed = 0; seed < 40; ++seed) {
      std::mt19937 rng(seed * 7919 + sh.devices);
      std::uniform_real_distribution<double> lat(0.0, 2.0), bw(0.0, 1.5);
      Problem prob = makeUniform(sh.devices, sh.dcs, sh.m, sh.split, 1, 1, 1,
                                 lat(rng), bw(rng), sh.placement, sh.perDevice);
      if (sh.placement == Placement::Custom) {
        // Random devices, including neighbours on one device (no message).
        std::uniform_int_distribution<int> dev(0, sh.devices - 1);
        prob.chunks.resize(6, prob.chunks[0]);
        for (Chunk &c : prob.chunks)
          c.device = dev(rng);
      }
      perturb(prob, rng);
      prob.dpDegree = seed % 3 == 0 ? 4 : 1;
      Schedule s = randomValidSchedule(prob, seed, seed % 2 ? 3 : 1);
      expectSameAsNaive(prob, s,
                        "shape " + std::to_string(sh.devices) + " seed " +
                            std::to_string(seed));
      if (HasFatalFailure())
        return;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 240);
}

TEST(SimulatorFidelityTest, RandomOrdersAreNeverReportedAsDeadlocks) {
  // A random topological order projected on devices cannot deadlock; a
  // simulator that reports one is wrong. Larger than the naive model allows.
  for (unsigned seed = 0; seed < 20; ++seed) {
    Problem prob =
        makeUniform(8, 4, 16, seed % 2, 1.0, 1.0, 1.0, 3.0, 2.0,
                    seed % 4 < 2 ? Placement::Wave : Placement::Interleaved, 3);
    Schedule s = randomValidSchedule(prob, seed, 2);
    SimResult r = simulate(prob, s);
    EXPECT_TRUE(r.ok) << r.error;
  }
}

} // namespace
