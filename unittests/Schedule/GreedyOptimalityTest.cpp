//===- GreedyOptimalityTest.cpp - Greedy against brute force --------------===//
//
// On tiny instances (two devices, two or three microbatches) every valid
// schedule is enumerated: each device's own blocks in every order that keeps
// F before D before W (or F before B) of each microbatch and stays within the
// memory budget, all pairs simulated, deadlocks dropped. The greedy can never
// beat that optimum (whole blocks, since sub-blocks enlarge the space), and
// the test records how close it gets.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Greedy.h"

#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <iostream>

using namespace crosspipe::sched;
using namespace crosspipe::sched::test;

namespace {

/// Every order of device d's blocks that respects per-microbatch precedence
/// and the device's memory budget.
std::vector<std::vector<Block>> deviceOrders(const Problem &p, int d) {
  std::vector<int> chunks = p.chunksOnDevice(d);
  int m = p.numMicrobatches, steps = p.splitBackward ? 3 : 2;
  // progress[i * m + mb]: blocks of (chunks[i], mb) already placed.
  std::vector<int> progress(chunks.size() * m, 0);
  std::vector<std::vector<Block>> out;
  std::vector<Block> cur;
  uint64_t held = 0, cap = p.memoryLimit(d);
  size_t total = chunks.size() * m * steps;
  std::function<void()> rec = [&]() {
    if (cur.size() == total) {
      out.push_back(cur);
      return;
    }
    for (size_t i = 0; i < chunks.size(); ++i) {
      for (int mb = 0; mb < m; ++mb) {
        int &s = progress[i * m + mb];
        if (s == steps)
          continue;
        uint64_t a = p.chunks[chunks[i]].activationBytes;
        if (s == 0 && held + a > cap)
          continue;
        Block b;
        b.kind = s == 0            ? BlockKind::F
                 : s == 2          ? BlockKind::W
                 : p.splitBackward ? BlockKind::D
                                   : BlockKind::B;
        b.chunk = chunks[i];
        b.mb = mb;
        bool frees = s == steps - 1;
        held = s == 0 ? held + a : frees ? held - a : held;
        ++s;
        cur.push_back(b);
        rec();
        cur.pop_back();
        --s;
        held = s == 0 ? held - a : frees ? held + a : held;
      }
    }
  };
  rec();
  return out;
}

/// The best makespan over all valid two-device schedules.
double bruteForceOptimum(const Problem &p, long *evaluated) {
  std::vector<std::vector<Block>> a = deviceOrders(p, 0),
                                  b = deviceOrders(p, 1);
  double best = INFINITY;
  *evaluated = 0;
  Schedule s;
  s.order.resize(2);
  for (const std::vector<Block> &x : a) {
    for (const std::vector<Block> &y : b) {
      s.order[0] = x;
      s.order[1] = y;
      SimResult r = simulate(p, s);
      ++*evaluated;
      if (r.ok)
        best = std::min(best, r.makespanMs);
    }
  }
  return best;
}

TEST(GreedyOptimalityTest, NeverBeatsBruteForceAndStaysClose) {
  struct Case {
    bool split;
    int m;
    double lat, bw;
    bool oneFOneBMemory;
    double slowSecond = 1; // Cost factor of chunk 1.
  } cases[] = {
      {true, 2, 10, 10, false, 1.5},  {true, 3, 10, 5, true, 0.6},
      {false, 3, 10, 10, false, 1.7}, {false, 3, 30, 0, true, 0.5},
      {true, 2, 0, 0, false},         {true, 2, 15, 5, false},
      {true, 2, 5, 15, true},         {true, 3, 0, 0, true},
      {true, 3, 20, 10, true},        {false, 2, 10, 10, false},
      {false, 3, 0, 0, false},        {false, 3, 25, 5, false},
      {false, 3, 5, 20, true},
  };
  double worst = 1;
  for (const Case &c : cases) {
    Problem p = makeUniform(2, c.lat + c.bw > 0 ? 2 : 1, c.m, c.split, 10,
                            c.split ? 10 : 20, 8, c.lat, c.bw);
    if (c.oneFOneBMemory)
      p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
    Chunk &second = p.chunks[1];
    second.forwardMs *= c.slowSecond;
    second.backwardMs *= c.slowSecond;
    second.dgradMs *= c.slowSecond;
    second.wgradMs *= c.slowSecond;
    long evaluated = 0;
    double opt = bruteForceOptimum(p, &evaluated);
    ASSERT_TRUE(std::isfinite(opt));
    GreedyOptions o;
    o.exactSubBlocks = true;
    GreedyResult r = scheduleGreedy(p, o);
    ASSERT_TRUE(r.ok) << r.error;
    std::string what = std::string(c.split ? "split" : "fused") + " M" +
                       std::to_string(c.m) + " lat " + std::to_string(c.lat) +
                       " bw " + std::to_string(c.bw) +
                       (c.oneFOneBMemory ? " 1F1B memory" : "") + " (" +
                       std::to_string(evaluated) + " schedules)";
    EXPECT_GE(r.makespanMs, opt - 1e-9 * opt) << what;
    // How close: within 5% of optimal on every case here.
    EXPECT_LE(r.makespanMs, opt * 1.05)
        << what << ": greedy " << r.makespanMs << " (" << r.rule << ") optimum "
        << opt;
    worst = std::max(worst, r.makespanMs / opt);
    // The paper's plain rule alone, for comparison.
    GreedyOptions plain = o;
    plain.rules = {"dfw"};
    plain.improveIterations = 0;
    plain.includeBaselines = false;
    GreedyResult pr = scheduleGreedy(p, plain);
    ASSERT_TRUE(pr.ok) << pr.error;
    EXPECT_GE(pr.makespanMs, opt - 1e-9 * opt) << what;
    std::cout << "[ " << what << ": greedy/optimum " << r.makespanMs / opt
              << ", plain D>F>W " << pr.makespanMs / opt << " ]\n";
  }
  RecordProperty("WorstGreedyOverOptimum", std::to_string(worst));
  std::cout << "[ worst greedy/optimum: " << worst << " ]\n";
}

} // namespace
