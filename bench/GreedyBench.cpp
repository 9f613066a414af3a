//===- GreedyBench.cpp - Quality and speed of the greedy scheduler --------===//
//
// Prints two Markdown tables. Quality: the paper's M70 on two datacenters at
// the three delay ratios the greedy has targets for, with the simulated
// makespans of 1F1B, ZB-H1 and the greedy under the same problem and 1F1B's
// memory, the provable lower bound, and the ratios. Speed: scheduleGreedy()
// (all rules, improvement loop, baseline check), one rule alone, and one
// simulate() of the result, on unidirectional split-backward pipelines from
// 8 x 16 up to 64 x 512 (the fastest of several runs: the machine is shared).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

using namespace crosspipe::sched;

namespace {

const double kTf = 38;               // T_F of M70, ms.
const uint64_t kMessage = 64 * kMiB; // One activation or gradient.
const uint64_t kActivation = 4096 * kMiB;

/// P devices in two datacenters (P/2 each), chunk c on device c, M
/// microbatches, F = D = W = 38 ms, memory as 1F1B. Intra-DC: latency 0 and
/// 1e6 Gbit/s (a message takes 0.5 us); cross-DC: latency rLat * T_F and a
/// bandwidth at which one message takes rBw * T_F.
Problem makePipeline(int p, int m, double rLat, double rBw) {
  Problem prob;
  prob.name = "m70-like";
  prob.numMicrobatches = m;
  prob.splitBackward = true;
  prob.datacenters.resize(2);
  prob.datacenters[0].name = "east";
  prob.datacenters[0].numDevices = p / 2;
  prob.datacenters[1].name = "west";
  prob.datacenters[1].numDevices = p - p / 2;
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      if (a == b) {
        link.cost.bandwidthGbps = 1e6;
      } else {
        link.cost.latencyMs = rLat * kTf;
        link.cost.bandwidthGbps =
            double(kMessage) * 8 / (rBw * kTf * 1e-3) / 1e9;
      }
      prob.links.push_back(link);
    }
  }
  for (int c = 0; c < p; ++c) {
    Chunk ch;
    ch.device = c;
    ch.forwardMs = ch.dgradMs = ch.wgradMs = kTf;
    ch.activationBytes = kActivation;
    ch.messageBytes = kMessage;
    prob.chunks.push_back(ch);
  }
  prob.memoryLimitBytes = prob.limitsRelativeTo1F1B(1.0);
  prob.memoryRelativeTo1F1B = 1.0;
  return prob;
}

/// Simulated makespan of a baseline and whether it fits the budget.
std::pair<double, bool> baseline(const Problem &p, BaselineKind kind) {
  BaselineResult b = buildBaseline(p, kind);
  if (!b.ok)
    return {0, false};
  SimResult s = simulate(p, b.schedule);
  if (!s.ok)
    return {0, false};
  bool fits = true;
  for (int d = 0; d < p.numDevices(); ++d)
    fits = fits && s.peakMemoryBytes[d] <= p.memoryLimit(d);
  return {s.makespanMs, fits};
}

/// Fastest of `reps` runs of `fn`, in milliseconds.
double fastestMs(int reps, const std::function<void()> &fn) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    std::chrono::duration<double, std::milli> dt =
        std::chrono::steady_clock::now() - t0;
    best = std::min(best, dt.count());
  }
  return best;
}

void qualityTable() {
  std::printf("## M70, 2 datacenters, 8 stages, 16 microbatches, memory as "
              "1F1B\n\n");
  std::printf("| T_lat/T_F | T_bw/T_F | 1F1B ms | ZB-H1 ms | greedy ms | "
              "lower bound ms | greedy/1F1B | target | greedy/ZB-H1 | "
              "greedy/bound | rule |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  struct Case {
    double rLat, rBw, target;
  } cases[] = {{0.25, 2, 0.85}, {2, 0.25, 0.85}, {2, 2, 0.78}};
  for (const Case &c : cases) {
    Problem p = makePipeline(8, 16, c.rLat, c.rBw);
    auto [one, oneFits] = baseline(p, BaselineKind::OneFOneB);
    auto [zb, zbFits] = baseline(p, BaselineKind::ZBH1);
    GreedyResult g = scheduleGreedy(p);
    LowerBound lb = computeLowerBound(p);
    if (!g.ok) {
      std::printf("| %g | %g | greedy failed: %s |\n", c.rLat, c.rBw,
                  g.error.c_str());
      continue;
    }
    std::printf("| %g | %g | %.1f%s | %.1f%s | %.1f | %.1f | %.3f | %.2f | "
                "%.3f | %.3f | %s |\n",
                c.rLat, c.rBw, one, oneFits ? "" : " (over budget)", zb,
                zbFits ? "" : " (over budget)", g.makespanMs, lb.makespanMs,
                g.makespanMs / one, c.target, g.makespanMs / zb,
                g.makespanMs / lb.makespanMs, g.rule.c_str());
  }
  std::printf("\nZB-H1 defers W, and a deferred W still holds its "
              "activation here, so it needs S activations on every stage "
              "and does not fit 1F1B's budget; its makespan is shown for "
              "reference.\n\n");
}

void speedTable() {
  std::printf("## Speed (UD, split backward, 2 DCs, (T_lat, T_bw) = (2, 2) "
              "T_F, memory as 1F1B)\n\n");
  std::printf("| devices x microbatches | blocks | greedy ms | greedy us/block "
              "| greedy blocks/s | one rule ms | one rule us/block | simulate "
              "ms | simulate blocks/s | greedy/1F1B |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  struct Size {
    int p, m;
  } sizes[] = {{8, 16},   {8, 64},   {16, 64},  {16, 256},
               {32, 128}, {32, 512}, {64, 256}, {64, 512}};
  for (Size s : sizes) {
    Problem p = makePipeline(s.p, s.m, 2, 2);
    double blocks = 3.0 * s.p * s.m;
    int reps = blocks < 2e4 ? 9 : 5;
    GreedyResult g;
    double greedyMs = fastestMs(reps, [&] { g = scheduleGreedy(p); });
    if (!g.ok) {
      std::printf("| %d x %d | greedy failed: %s |\n", s.p, s.m,
                  g.error.c_str());
      continue;
    }
    // One rule, no improvement loop, search, second part count or baseline
    // check: the engine's own scaling (it still simulates its result once).
    GreedyOptions one;
    one.rules = {"dfw"};
    one.improveIterations = 0;
    one.pilot = false;
    one.localSearch = false;
    one.autoSubBlocks = false;
    one.includeBaselines = false;
    double oneMs = fastestMs(reps, [&] { scheduleGreedy(p, one); });
    SimResult sim;
    double simMs = fastestMs(reps, [&] { sim = simulate(p, g.schedule); });
    double oneFOneB = baseline(p, BaselineKind::OneFOneB).first;
    std::printf("| %d x %d | %.0f | %.2f | %.3f | %.2fM | %.2f | %.3f | %.2f | "
                "%.2fM | %.3f |\n",
                s.p, s.m, blocks, greedyMs, greedyMs * 1e3 / blocks,
                blocks / greedyMs / 1e3, oneMs, oneMs * 1e3 / blocks, simMs,
                blocks / simMs / 1e3, sim.makespanMs / oneFOneB);
  }
  std::printf("\n");
}

} // namespace

int main() {
  qualityTable();
  speedTable();
  return 0;
}
