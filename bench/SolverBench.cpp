//===- SolverBench.cpp - Proven optima, gaps and the greedy's distance ----===//
//
// Prints Markdown tables for the optimal scheduler (solveOptimal, one
// thread): the targets (unidirectional pipelines over two
// datacenters with one boundary of latency 4 T_F, fused and split backward,
// 1F1B and unlimited memory; proofs within 10 s up to 8 x 16, gaps within
// 60 s at 8 x 32 and 16 x 32), the same with uneven stage times, the paper's
// Figure 8 setting against the greedy and the static baselines, DP overlap
// (all-reduce, buckets, ZeRO-1), interleaved and wave placements, the
// anytime curve of the largest runs, and the greedy's distance to every
// proven optimum. T_F = 1 ms throughout.
// `--quick` divides every time limit by 10; `--table=NAME` runs one table
// (targets, uneven, fig8, dp, placements).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/Simulator.h"
#include "crosspipe/Solver/OptimalSolver.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace crosspipe::sched;

namespace {

constexpr uint64_t kMessage = 125000000; // 1 ms at 1000 Gbit/s.

struct Setting {
  int devices = 4;
  int microbatches = 8;
  bool split = true;
  bool memory1F1B = true;
  double latency = 4;   // In T_F.
  double bandwidth = 0; // One message's link time, in T_F.
  bool uneven = false;
};

/// Devices in two datacenters (half each), chunk c on device c; intra-DC
/// transfers are free, the one cross-DC boundary costs `latency` plus
/// `bandwidth` per message. Even stages: F = D = W = 1 (fused B = 2).
/// Uneven: F cycles through 1, 0.8, 1.2, 0.9, 1.1, 0.7, 1.3, 1 (so T_F =
/// 1.3), D = F, W = 0.75 F.
Problem makeProblem(const Setting &s) {
  Problem p;
  p.name = "bench";
  p.numMicrobatches = s.microbatches;
  p.splitBackward = s.split;
  p.datacenters.resize(2);
  p.datacenters[0].name = "east";
  p.datacenters[0].numDevices = s.devices / 2;
  p.datacenters[1].name = "west";
  p.datacenters[1].numDevices = s.devices - s.devices / 2;
  static const double pattern[] = {1, 0.8, 1.2, 0.9, 1.1, 0.7, 1.3, 1};
  double tf = s.uneven ? 1.3 : 1.0;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      if (a != b) {
        link.cost.latencyMs = s.latency * tf;
        if (s.bandwidth > 0)
          link.cost.bandwidthGbps = 1000.0 / (s.bandwidth * tf);
      }
      p.links.push_back(link);
    }
  for (int c = 0; c < s.devices; ++c) {
    Chunk ch;
    ch.device = c;
    double f = s.uneven ? pattern[c % 8] : 1.0;
    ch.forwardMs = f;
    ch.backwardMs = 2 * f;
    ch.dgradMs = f;
    ch.wgradMs = s.uneven ? 0.75 * f : f;
    ch.activationBytes = kMiB;
    ch.messageBytes = kMessage;
    p.chunks.push_back(ch);
  }
  if (s.memory1F1B)
    p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  return p;
}

struct Outcome {
  SolverResult result;
  double greedyMs = 0;
};

/// Every proven instance, for the greedy's distance.
std::vector<std::pair<std::string, Outcome>> proven;

Outcome solve(const std::string &name, const Problem &p, double limit) {
  Outcome o;
  SolverOptions options;
  options.timeLimitSeconds = limit;
  o.result = solveOptimal(p, options);
  o.greedyMs = o.result.seedMakespanMs;
  if (o.result.ok && o.result.optimal)
    proven.push_back({name, o});
  std::fflush(stdout);
  return o;
}

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

std::string secs(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 0 ? "-" : "%.2f", v);
  return buf;
}

/// When the result was proven (or the limit hit): the last progress point.
double provenAt(const SolverResult &r) {
  return r.progress.empty() ? r.seconds : r.progress.back().seconds;
}

void targetHeader() {
  std::printf("| P x M | backward | memory | limit (s) | greedy | optimal | "
              "lower bound | gap | proven | time (s) | first better (s) | "
              "order vars |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

void targetRow(const Setting &s, double limit, std::vector<Outcome> *largest) {
  Problem p = makeProblem(s);
  std::string name =
      std::to_string(s.devices) + "x" + std::to_string(s.microbatches) +
      (s.split ? " split" : " fused") +
      (s.memory1F1B ? " 1F1B" : " unlimited") + (s.uneven ? " uneven" : "");
  Outcome o = solve(name, p, limit);
  const SolverResult &r = o.result;
  if (!r.ok) {
    std::printf("| %d x %d | %s | %s | %g | error: %s |\n", s.devices,
                s.microbatches, s.split ? "split" : "fused",
                s.memory1F1B ? "1F1B" : "unlimited", limit, r.error.c_str());
    return;
  }
  std::printf("| %d x %d | %s | %s | %g | %s | %s | %s | %s | %s | %s | %s | "
              "%d |\n",
              s.devices, s.microbatches, s.split ? "split" : "fused",
              s.memory1F1B ? "1F1B" : "unlimited", limit,
              ms(o.greedyMs).c_str(), ms(r.makespanMs).c_str(),
              ms(r.lowerBoundMs).c_str(), pct(r.gap).c_str(),
              r.optimal ? "yes" : "no", secs(provenAt(r)).c_str(),
              secs(r.secondsToFirstSolution).c_str(), r.orderVariables);
  if (largest && s.devices * s.microbatches >= 16 * 32)
    largest->push_back(o);
}

void targetTable(bool uneven, double scale) {
  std::printf("\n## %s\n\n", uneven ? "Uneven stage times"
                                    : "Targets: latency 4 T_F on one "
                                      "boundary");
  targetHeader();
  std::vector<Outcome> largest;
  struct Size {
    int p, m;
    double limit;
  };
  for (Size size : {Size{4, 8, 10}, Size{4, 16, 10}, Size{8, 16, 10},
                    Size{8, 32, 60}, Size{16, 32, 60}})
    for (bool split : {false, true})
      for (bool memory : {true, false}) {
        Setting s;
        s.devices = size.p;
        s.microbatches = size.m;
        s.split = split;
        s.memory1F1B = memory;
        s.uneven = uneven;
        targetRow(s, size.limit * scale, &largest);
      }
  std::printf("\nAnytime curves of the 16 x 32 runs (seconds: makespan / "
              "bound):\n\n");
  for (size_t i = 0; i < largest.size(); ++i) {
    std::printf("- run %zu:", i + 1);
    for (const SolverProgress &pt : largest[i].result.progress)
      std::printf(" %s: %s / %s;", secs(pt.seconds).c_str(),
                  ms(pt.makespanMs).c_str(), ms(pt.lowerBoundMs).c_str());
    std::printf("\n");
  }
}

/// Simulated makespan of a static baseline, "*" when it breaks the budget.
std::string baseline(const Problem &p, BaselineKind kind) {
  BaselineResult b = buildBaseline(p, kind);
  if (!b.ok)
    return "n/a";
  SimResult r = simulate(p, b.schedule);
  if (!r.ok)
    return "n/a";
  bool over = false;
  for (int d = 0; d < p.numDevices(); ++d)
    over |= r.peakMemoryBytes[d] > p.memoryLimit(d);
  return ms(r.makespanMs) + (over ? "*" : "");
}

void figure8Table(double scale) {
  std::printf("\n## Figure 8 setting: 4 stages, 8 microbatches, 2 x 2 "
              "stages, split backward, 1F1B memory\n\n");
  std::printf("| delay | ratio | optimal | proven | gap | greedy | greedy / "
              "optimal | 1f1b | zb-h1 | gpipe | optimal, 2x memory |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int kind = 0; kind < 3; ++kind)
    for (double r : {0.0, 0.5, 1.0, 1.5, 2.0}) {
      if (kind > 0 && r == 0)
        continue;
      Setting s;
      s.devices = 4;
      s.microbatches = 8;
      s.latency = kind != 1 ? r : 0;
      s.bandwidth = kind != 0 ? r : 0;
      Problem p = makeProblem(s);
      const char *what = kind == 0   ? "latency"
                         : kind == 1 ? "bandwidth"
                                     : "both";
      Outcome o =
          solve(std::string("fig8 ") + what + " " + ms(r), p, 10 * scale);
      const SolverResult &res = o.result;
      // Twice 1F1B's activation memory, as the paper's case 3.
      Problem twice = p;
      twice.memoryLimitBytes = twice.limitsRelativeTo1F1B(2.0);
      Outcome o2 = solve(std::string("fig8 2x memory ") + what + " " + ms(r),
                         twice, 10 * scale);
      std::printf("| %s | %g | %s | %s | %s | %s | %.4f | %s | %s | %s | %s%s "
                  "|\n",
                  what, r, ms(res.makespanMs).c_str(),
                  res.optimal ? "yes" : "no", pct(res.gap).c_str(),
                  ms(o.greedyMs).c_str(), o.greedyMs / res.makespanMs,
                  baseline(p, BaselineKind::OneFOneB).c_str(),
                  baseline(p, BaselineKind::ZBH1).c_str(),
                  baseline(p, BaselineKind::GPipe).c_str(),
                  ms(o2.result.makespanMs).c_str(),
                  o2.result.optimal ? "" : " (not proven)");
    }
  std::printf("\n`*`: the static schedule exceeds 1F1B's memory budget "
              "(timed anyway); the greedy and the solver stay within it. The "
              "last column lets the solver use twice that budget.\n");
}

void dpTable(double scale) {
  std::printf("\n## DP overlap: 4 x 8 split, 1F1B memory, latency 4 T_F, DP "
              "degree 2\n\n");
  std::printf("Across datacenters the ring pays 4 T_F of latency per step "
              "and chunk c's gradient (2 (c + 1) messages) 1 T_F per "
              "message; inside them (links of 0.05 T_F and 0.125 T_F per "
              "message, also for the pipeline's own messages there) chunk c's "
              "gradient is 16 (c + 1) messages.\n\n");
  std::printf("| DP span | collectives | optimal | proven | gap | greedy | "
              "greedy / optimal |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  struct Dp {
    const char *name;
    int buckets;
    bool zero1;
  };
  for (bool cross : {true, false})
    for (Dp dp : {Dp{"all-reduce", 1, false},
                  Dp{"all-reduce, 4 buckets", 4, false},
                  Dp{"ZeRO-1", 1, true}, Dp{"ZeRO-1, 4 buckets", 4, true}}) {
      Setting s;
      s.bandwidth = 1;
      Problem p = makeProblem(s);
      p.dpDegree = 2;
      p.dpSpan = cross ? DpSpan::CrossDc : DpSpan::IntraDc;
      p.dpBuckets = dp.buckets;
      p.zero1 = dp.zero1;
      for (DcLink &link : p.links)
        if (!cross && link.fromDc == link.toDc) {
          link.cost.latencyMs = 0.05;
          link.cost.bandwidthGbps = 8000;
        }
      for (int c = 0; c < p.numChunks(); ++c)
        p.chunks[c].gradientBytes =
            kMessage * uint64_t((cross ? 2 : 16) * (c + 1));
      Outcome o = solve(std::string("dp ") + (cross ? "cross " : "intra ") +
                            dp.name,
                        p, 10 * scale);
      const SolverResult &r = o.result;
      std::printf("| %s | %s | %s | %s | %s | %s | %.4f |\n",
                  cross ? "cross-DC" : "intra-DC", dp.name,
                  ms(r.makespanMs).c_str(), r.optimal ? "yes" : "no",
                  pct(r.gap).c_str(), ms(o.greedyMs).c_str(),
                  o.greedyMs / r.makespanMs);
    }
}

/// Interleaved (two chunks per device) and wave placements of 4 devices and
/// 8 microbatches across the two datacenters, at twice 1F1B's memory (one
/// microbatch of a wave device already holds two activations), with
/// message bandwidth time on the cross-DC link and optionally DP.
void placementTable(double scale) {
  std::printf("\n## Other placements: 4 devices x 8 microbatches, latency 4 "
              "T_F and 1 T_F per message across, 2x 1F1B memory\n\n");
  std::printf("| placement | backward | DP | greedy | optimal | lower bound | "
              "gap | proven | time (s) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (Placement placement : {Placement::Interleaved, Placement::Wave})
    for (bool split : {false, true})
      for (bool dp : {false, true}) {
        Setting s;
        s.split = split;
        s.bandwidth = 1;
        s.memory1F1B = false;
        Problem base = makeProblem(s);
        Problem p = base;
        p.placement = placement;
        p.chunks.clear();
        for (int c = 0; c < 8; ++c) {
          Chunk ch = base.chunks[0];
          ch.device = Problem::placeChunk(placement, c, 4);
          if (dp)
            ch.gradientBytes = kMessage * uint64_t(1 + c % 3);
          p.chunks.push_back(ch);
        }
        p.memoryLimitBytes = p.limitsRelativeTo1F1B(2.0);
        if (dp) {
          p.dpDegree = 2;
          p.dpSpan = DpSpan::CrossDc;
        }
        const char *name =
            placement == Placement::Wave ? "wave" : "interleaved";
        Outcome o = solve(std::string(name) + (split ? " split" : " fused") +
                              (dp ? " dp" : ""),
                          p, 10 * scale);
        const SolverResult &r = o.result;
        if (!r.ok) {
          std::printf("| %s | %s | %s | error: %s |\n", name,
                      split ? "split" : "fused", dp ? "2" : "-",
                      r.error.c_str());
          continue;
        }
        std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name,
                    split ? "split" : "fused", dp ? "2, cross-DC" : "-",
                    ms(o.greedyMs).c_str(), ms(r.makespanMs).c_str(),
                    ms(r.lowerBoundMs).c_str(), pct(r.gap).c_str(),
                    r.optimal ? "yes" : "no", secs(provenAt(r)).c_str());
      }
}

void greedyDistance() {
  std::printf("\n## The greedy's distance to every proven optimum\n\n");
  if (proven.empty()) {
    std::printf("No instance was proven optimal.\n");
    return;
  }
  double worst = 0, sum = 0;
  std::string worstName;
  int exact = 0;
  for (auto &[name, o] : proven) {
    double d = o.greedyMs / o.result.makespanMs - 1;
    sum += d;
    exact += d <= 1e-12;
    if (d > worst) {
      worst = d;
      worstName = name;
    }
  }
  std::printf("%zu proven instances; the greedy is optimal on %d; worst "
              "%s (%s), mean %s.\n",
              proven.size(), exact, pct(worst).c_str(),
              worstName.empty() ? "-" : worstName.c_str(),
              pct(sum / double(proven.size())).c_str());
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

} // namespace

int main(int argc, char **argv) {
  double scale = 1;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      scale = 0.1;
    else if (!std::strncmp(argv[i], "--table=", 8))
      only = argv[i] + 8;
    else {
      std::fprintf(stderr,
                   "usage: %s [--quick] "
                   "[--table=targets|uneven|fig8|dp|placements]\n",
                   argv[0]);
      return 2;
    }
  }
  std::printf("# Optimal solver (Gecode, 1 thread)\n\nLoad average at start: "
              "%s\n",
              loadAverage().c_str());
  if (only.empty() || only == "targets")
    targetTable(false, scale);
  if (only.empty() || only == "uneven")
    targetTable(true, scale);
  if (only.empty() || only == "fig8")
    figure8Table(scale);
  if (only.empty() || only == "dp")
    dpTable(scale);
  if (only.empty() || only == "placements")
    placementTable(scale);
  greedyDistance();
  std::printf("\nLoad average at end: %s\n", loadAverage().c_str());
  return 0;
}
