//===- SolverScaling.cpp - The optimal solver as problems grow ------------===//
//
// In the style of the paper's Figure 14: the constraint solver on 4 to 32
// devices in two datacenters, microbatches twice the devices, F = D = W,
// both delay ratios 1, memory as 1F1B. The solver starts from the greedy's
// schedule; reported are the model's size, when it first beat the seed, the
// seed's and the best makespan, the proven bound and the gap, and the gap
// over time as a plot. The budget per size is a wall-clock limit, so the
// numbers depend on the machine (2 shared cores when generated).
//
//===----------------------------------------------------------------------===//

#include "Experiments.h"
#include "SvgPlot.h"

#include "crosspipe/Schedule/Simulator.h"

#include <iostream>

using namespace crosspipe;
using namespace crosspipe::repro;
using namespace crosspipe::sched;

namespace {

Problem uniform(int devices) {
  Problem p = twoDatacenterStages("scaling-" + std::to_string(devices),
                                  devices, 2 * devices, 1, kMiB, kMiB);
  // T_lat = T_bw = T_F.
  setCrossLinks(p, 1, 1, kMiB);
  p.memoryRelativeTo1F1B = 1.0;
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  return p;
}

} // namespace

std::string crosspipe::repro::runSolverScaling(const Config &config) {
  std::cout << "Solver scaling: 4..32 devices, " << config.scalingSeconds
            << " s each\n";
  std::vector<int> sizes =
      config.quick ? std::vector<int>{4, 8} : std::vector<int>{4, 8, 16, 32};
  Table table({"devices", "microbatches", "order variables",
               "first improvement (s)", "greedy seed (T_F)", "best (T_F)",
               "proven bound (T_F)", "gap", "optimal", "seconds",
               "search nodes"});
  table.setLeftColumns(0);
  Panel gapPanel{"gap to the proven bound over time", "seconds", "gap (%)",
                 true, false};
  gapPanel.yMin = 0;
  Panel spanPanel{"best makespan over time (relative to the seed)", "seconds",
                  "makespan / greedy seed", true, false};
  std::string headline;
  for (int devices : sizes) {
    Problem p = uniform(devices);
    SolverOptions options;
    options.timeLimitSeconds = config.scalingSeconds;
    SolverResult r = solveOptimal(p, options);
    if (!r.ok) {
      table.addRow({std::to_string(devices), std::to_string(2 * devices),
                    "n/a: " + r.error});
      continue;
    }
    table.addRow({std::to_string(devices), std::to_string(2 * devices),
                  std::to_string(r.orderVariables),
                  r.secondsToFirstSolution < 0
                      ? "none"
                      : fixed(r.secondsToFirstSolution, 2),
                  fixed(r.seedMakespanMs, 1), fixed(r.makespanMs, 1),
                  fixed(r.lowerBoundMs, 1), fixed(100 * r.gap, 1) + "%",
                  r.optimal ? "yes" : "no", fixed(r.seconds, 1),
                  std::to_string(r.nodes)});
    Series gap{std::to_string(devices) + " devices", {}, {}};
    Series span{std::to_string(devices) + " devices", {}, {}};
    gap.step = span.step = true;
    for (const SolverProgress &point : r.progress) {
      // A log time axis cannot show 0; the seed is ready within a millisecond.
      double t = std::max(point.seconds, 1e-3);
      gap.x.push_back(t);
      gap.y.push_back(100 * (point.makespanMs - point.lowerBoundMs) /
                      point.makespanMs);
      span.x.push_back(t);
      span.y.push_back(point.makespanMs / r.seedMakespanMs);
    }
    // Extend each curve to the end of its run.
    if (!gap.x.empty() && gap.x.back() < r.seconds) {
      gap.x.push_back(r.seconds);
      gap.y.push_back(gap.y.back());
      span.x.push_back(r.seconds);
      span.y.push_back(span.y.back());
    }
    gapPanel.series.push_back(gap);
    spanPanel.series.push_back(span);
    headline += std::to_string(devices) + " devices: gap " +
                fixed(100 * r.gap, 1) + "%" + (r.optimal ? " (optimal)" : "") +
                "; ";
    std::cout << "  " << devices << " devices done\n";
  }
  std::string md =
      "# Solver scaling (in the style of the paper's Figure 14)\n\n"
      "The Gecode model on unidirectional pipelines of 4 to 32 devices in 2 "
      "datacenters, microbatches twice the devices, F = D = W = T_F = 1 ms, "
      "T_lat = T_bw = T_F on the link between datacenters, memory as 1F1B, "
      "seeded with the greedy schedule, " +
      fixed(config.scalingSeconds, 0) +
      " s wall clock per size on the machine that generated this file "
      "(2 shared cores), one search thread. \"First improvement\": when the "
      "search first beat the seed. The gap is (best - bound) / best, with the "
      "bound the better of the analytic one and the solver's.\n\n" +
      table.str() + "\n![solver scaling](solver-scaling.svg)\n";
  writeResult(config, "solver-scaling.md", md);
  writeResult(config, "solver-scaling.svg",
              renderPlot("Solver scaling (simulated problems, " +
                             fixed(config.scalingSeconds, 0) + " s each)",
                         {gapPanel, spanPanel}));
  if (!headline.empty())
    headline.resize(headline.size() - 2);
  return "- Solver scaling ([table](solver-scaling.md)): " + headline + ".\n";
}
