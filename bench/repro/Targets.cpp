//===- Targets.cpp - Our greedy against the paper authors' schedulers -----===//
//
// Issue 10's settings, where the paper authors' own greedy schedulers were
// run on the paper's problems: M70-shaped stages (8 devices, 4 + 4 in two
// datacenters, F = D = W = 38 ms, 64 MiB messages) at six delay ratios,
// unidirectional and wave, 16 microbatches with 1F1B's memory (case 1) and
// 32 with twice it (case 3), under both budget definitions; uniform budgets
// on 16 to 64 devices with 64 to 512 microbatches; and the Figure 8 setting
// with wave placement against our solver. Their figures, where the issue
// gives them, are printed next to ours; the target is ours at or below.
//
//===----------------------------------------------------------------------===//

#include "Experiments.h"
#include "TargetProblems.h"

#include "crosspipe/Schedule/LowerBound.h"

#include <chrono>
#include <fstream>
#include <iostream>

using namespace crosspipe;
using namespace crosspipe::repro;
using namespace crosspipe::sched;

namespace {

/// The paper authors' schedulers' figures the issue quotes (ms), else 0.
double theirs(Placement placement, int microbatches, Budget budget, double lat,
              double bw) {
  if (placement != Placement::Wave || microbatches != 16 ||
      budget != Budget::Uniform)
    return 0;
  if (lat == 2 && bw == 0.25)
    return 2318;
  if (lat == 1 && bw == 1)
    return 2261;
  if (lat == 0.5 && bw == 0.5)
    return 2071;
  return 0;
}

std::string ms(double v) { return v > 0 ? fixed(v, 1) : "-"; }

/// The 1-minute load average, which the scheduling times depend on.
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  return in >> first ? first : "unknown";
}

std::string m70Table(const Config &config, std::string &headline) {
  const std::pair<double, double> delays[] = {{0, 0}, {0.25, 2}, {2, 0.25},
                                              {2, 2}, {1, 1},    {0.5, 0.5}};
  Table table({"placement", "case", "budget", "T_lat/T_F", "T_bw/T_F",
               "greedy (ms)", "rule", "greedy time (ms)", "theirs (ms)",
               "greedy / theirs", "lower bound (ms)", "greedy / bound"});
  table.setLeftColumns(3);
  int met = 0, quoted = 0;
  for (Placement placement : {Placement::Unidirectional, Placement::Wave})
    for (int kase : {1, 3})
      for (Budget budget : {Budget::PerDevice, Budget::Uniform})
        for (auto [lat, bw] : delays) {
          int m = kase == 1 ? 16 : 32;
          Problem p =
              targetM70(placement, m, kase == 1 ? 1.0 : 2.0, budget, lat, bw);
          Run g = runGreedy(p);
          double their = theirs(placement, m, budget, lat, bw);
          if (their > 0) {
            ++quoted;
            met += g.ok && g.makespanMs <= their + 1e-6;
          }
          table.addRow({placement == Placement::Wave ? "wave" : "UD",
                        std::to_string(kase), budgetName(budget), fixed(lat, 2),
                        fixed(bw, 2), g.ok ? ms(g.makespanMs) : g.note, g.rule,
                        fixed(g.seconds * 1e3, 1), ms(their),
                        their > 0 ? fixed(g.makespanMs / their, 3) : "-",
                        ms(g.lowerBoundMs),
                        fixed(g.makespanMs / g.lowerBoundMs, 3)});
          if (config.quick && placement == Placement::Unidirectional)
            break;
        }
  headline += "- Paper authors' wave figures met: " + std::to_string(met) +
              " of " + std::to_string(quoted) + "\n";
  return table.str();
}

std::string scalingTable(const Config &config, std::string &headline) {
  Table table({"devices x microbatches", "budget", "T_lat/T_F", "T_bw/T_F",
               "greedy (ms)", "rule", "greedy time (ms)", "theirs (ms)",
               "lower bound (ms)"});
  table.setLeftColumns(2);
  const std::pair<int, int> sizes[] = {{16, 64},  {16, 512}, {32, 64},
                                       {32, 512}, {64, 64},  {64, 512}};
  for (auto [devices, m] : sizes)
    for (Budget budget : {Budget::PerDevice, Budget::Uniform})
      for (auto [lat, bw] :
           {std::make_pair(2.0, 2.0), std::make_pair(2.0, 0.25)}) {
        if (config.quick && devices * m > 16 * 64)
          continue;
        Problem p = targetM70(Placement::Unidirectional, m, 1.0, budget, lat,
                              bw, devices);
        // The fastest of three runs: the machine is shared.
        Run best;
        for (int rep = 0; rep < 3; ++rep) {
          Run g = runGreedy(p);
          if (rep == 0 || g.seconds < best.seconds) {
            double fastest = g.seconds;
            best = std::move(g);
            best.seconds = fastest;
          }
        }
        double their = devices == 64 && m == 512 && lat == 2 && bw == 2 &&
                               budget == Budget::PerDevice
                           ? 66006
                           : 0;
        if (their > 0)
          headline += "- 64 x 512 at (2, 2), per-device budget: greedy " +
                      fixed(best.makespanMs, 0) + " ms in " +
                      fixed(best.seconds * 1e3, 0) + " ms (theirs " +
                      fixed(their, 0) + " ms)\n";
        table.addRow({std::to_string(devices) + " x " + std::to_string(m),
                      budgetName(budget), fixed(lat, 2), fixed(bw, 2),
                      ms(best.makespanMs), best.rule,
                      fixed(best.seconds * 1e3, 1), ms(their),
                      ms(best.lowerBoundMs)});
      }
  return table.str();
}

std::string figure8Table(const Config &config, std::string &headline) {
  Table table({"T_lat/T_F", "T_bw/T_F", "greedy (ms)", "rule", "solver (ms)",
               "solver bound (ms)", "greedy / solver"});
  table.setLeftColumns(0);
  std::vector<std::pair<double, double>> delays = {{0, 1.5}, {0, 2}};
  if (!config.quick)
    delays.insert(delays.begin(), {{0, 0}, {2, 0}, {0, 1}});
  double worst = 0;
  for (auto [lat, bw] : delays) {
    // 4 devices (2 + 2), 8 microbatches, 8 wave chunks of 19 ms, every
    // device up to 4 full-stage activations; delays relative to 38 ms.
    Problem p = targetFigure8(lat, bw);
    Run g = runGreedy(p);
    Run s = runOptimal(p, config.solverSeconds * 3);
    double ratio = s.ok ? g.makespanMs / s.makespanMs : 0;
    worst = std::max(worst, ratio);
    table.addRow({fixed(lat, 2), fixed(bw, 2), ms(g.makespanMs), g.rule,
                  s.ok ? ms(s.makespanMs) : s.note, ms(s.lowerBoundMs),
                  fixed(ratio, 3)});
  }
  headline += "- Figure 8 wave: greedy at most " + fixed((worst - 1) * 100, 1) +
              "% above the solver's best\n";
  return table.str();
}

} // namespace

std::string crosspipe::repro::runTargets(const Config &config) {
  std::cout << "Targets: our greedy against the paper authors' schedulers\n";
  std::string headline;
  std::string text =
      "# Schedule quality against the paper authors' schedulers\n\n"
      "Issue 10's settings, simulated (`crosspipe-repro --only targets`). "
      "Budgets: *per-device* gives device d (P - d) stage activations "
      "(`relative_to_1f1b`), *uniform* gives every device P of them "
      "(`relative_to_1f1b_peak`, as the paper authors' code does), times 2 "
      "in case 3; a wave chunk is half a stage and keeps the same bytes per "
      "device. W keeps the whole activation (no memory released at D). "
      "*theirs*: the figures of the paper authors' schedulers quoted in the "
      "issue. The greedy runs with its defaults.\n\n"
      "## M70-shaped stages, 8 devices (4 + 4)\n\n"
      "Greedy times: one wall-clock run each, 1-minute load average " +
      loadAverage() + " at the start of this table.\n\n";
  text += m70Table(config, headline);
  text += "\n## Larger pipelines, 2 datacenters (fastest of 3 runs)\n\n"
          "Scheduling times are wall-clock on a shared 2-core machine whose "
          "1-minute load average was " +
          loadAverage() + " at the start of this table.\n\n";
  text += scalingTable(config, headline);
  text += "\n## Figure 8 setting, wave placement, against the solver (" +
          fixed(config.solverSeconds * 3, 0) + " s per point)\n\n";
  text += figure8Table(config, headline);
  writeResult(config, "targets.md", text);
  return "\n## Schedule quality targets ([targets.md](targets.md))\n\n" +
         headline;
}
