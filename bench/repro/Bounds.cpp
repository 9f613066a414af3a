//===- Bounds.cpp - Lower bounds against the best schedules known ---------===//
//
// Issue 10's settings (TargetProblems.h): per setting the greedy's and the
// solver's makespans, the analytic lower bound as it was before the
// sequencing and link bounds (the largest of the device, round-trip, memory
// and DP-tail bounds) and as it is now, and the solver's proven bound; then,
// on a few representative settings, the solver with a longer limit and its
// gap. Every figure is computed when the table is written.
//
//===----------------------------------------------------------------------===//

#include "Experiments.h"
#include "TargetProblems.h"

#include "crosspipe/Schedule/LowerBound.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

using namespace crosspipe;
using namespace crosspipe::repro;
using namespace crosspipe::sched;

namespace {

struct Setting {
  Placement placement = Placement::Unidirectional;
  int kase = 1;
  Budget budget = Budget::Uniform;
  double lat = 0, bw = 0;
  bool figure8 = false;

  Problem problem() const {
    if (figure8)
      return targetFigure8(lat, bw);
    return targetM70(placement, kase == 1 ? 16 : 32, kase == 1 ? 1.0 : 2.0,
                     budget, lat, bw);
  }
  std::vector<std::string> cells() const {
    std::vector<std::string> out;
    if (!figure8)
      out = {placement == Placement::Wave ? "wave" : "UD",
             std::to_string(kase), budgetName(budget)};
    out.push_back(fixed(lat, 2));
    out.push_back(fixed(bw, 2));
    return out;
  }
};

/// The bound as computed before the sequencing and link bounds existed.
double classicBound(const LowerBound &lb) {
  return std::max({lb.deviceBoundMs, lb.roundTripBoundMs, lb.memoryBoundMs,
                   lb.dpTailBoundMs});
}

/// Which part of the new bound binds.
std::string binding(const LowerBound &lb) {
  const std::pair<double, const char *> parts[] = {
      {lb.deviceBoundMs, "device"},     {lb.roundTripBoundMs, "round trip"},
      {lb.memoryBoundMs, "memory"},     {lb.dpTailBoundMs, "dp tail"},
      {lb.sequenceBoundMs, "sequence"}, {lb.linkBoundMs, "link"}};
  const char *best = "-";
  double value = 0;
  for (auto [v, name] : parts)
    if (v > value + 1e-9) {
      value = v;
      best = name;
    }
  return best;
}

std::string ms(double v) { return v > 0 ? fixed(v, 1) : "-"; }

std::vector<Setting> settings(const Config &config) {
  const std::pair<double, double> delays[] = {{0, 0}, {0.25, 2}, {2, 0.25},
                                              {2, 2}, {1, 1},    {0.5, 0.5}};
  std::vector<Setting> out;
  for (Placement placement : {Placement::Unidirectional, Placement::Wave})
    for (int kase : {1, 3})
      for (Budget budget : {Budget::PerDevice, Budget::Uniform})
        for (auto [lat, bw] : delays) {
          if (config.quick && !(lat == 2 && bw == 2))
            continue;
          out.push_back({placement, kase, budget, lat, bw, false});
        }
  const std::pair<double, double> figure8[] = {
      {0, 0}, {2, 0}, {0, 1}, {0, 1.5}, {0, 2}};
  for (auto [lat, bw] : figure8)
    out.push_back({Placement::Wave, 1, Budget::Uniform, lat, bw, true});
  return out;
}

struct Totals {
  double worstOld = 0, worstNew = 0, sumOld = 0, sumNew = 0;
  int rows = 0;
  void add(double best, double oldBound, double newBound) {
    worstOld = std::max(worstOld, best / oldBound);
    worstNew = std::max(worstNew, best / newBound);
    sumOld += best / oldBound;
    sumNew += best / newBound;
    ++rows;
  }
};

std::string boundsTable(const Config &config, bool figure8, Totals &totals) {
  std::vector<std::string> header;
  if (!figure8)
    header = {"placement", "case", "budget"};
  for (const char *h :
       {"T_lat/T_F", "T_bw/T_F", "greedy (ms)", "solver (ms)", "best (ms)",
        "old bound (ms)", "new bound (ms)", "best / old", "best / new",
        "binding", "solver bound (ms)"})
    header.push_back(h);
  Table table(header);
  table.setLeftColumns(figure8 ? 0 : 3);
  for (const Setting &s : settings(config)) {
    if (s.figure8 != figure8)
      continue;
    Problem p = s.problem();
    Run g = runGreedy(p);
    Run o = runOptimal(p, config.solverSeconds);
    double best = INFINITY;
    for (const Run *r : {&g, &o})
      if (r->ok && r->fitsBudget)
        best = std::min(best, r->makespanMs);
    LowerBound lb = computeLowerBound(p);
    double old = classicBound(lb);
    totals.add(best, old, lb.makespanMs);
    std::vector<std::string> row = s.cells();
    for (std::string cell :
         {g.ok ? ms(g.makespanMs) : g.note, o.ok ? ms(o.makespanMs) : o.note,
          ms(best), ms(old), ms(lb.makespanMs), fixed(best / old, 3),
          fixed(best / lb.makespanMs, 3), binding(lb),
          o.ok ? ms(o.lowerBoundMs) : "-"})
      row.push_back(cell);
    table.addRow(row);
    std::cout << "." << std::flush;
  }
  std::cout << "\n";
  return table.str();
}

/// Representative settings for the solver's gap at a longer limit: the
/// unidirectional case the new bound closes, and the wave settings (link-,
/// latency- and memory-bound) and Figure 8 points it leaves open.
std::string gapTable(const Config &config, std::string &headline) {
  const Setting picks[] = {
      {Placement::Unidirectional, 1, Budget::Uniform, 2, 2, false},
      {Placement::Wave, 1, Budget::Uniform, 2, 2, false},
      {Placement::Wave, 1, Budget::Uniform, 2, 0.25, false},
      {Placement::Wave, 1, Budget::Uniform, 1, 1, false},
      {Placement::Wave, 1, Budget::PerDevice, 2, 2, false},
      {Placement::Wave, 1, Budget::Uniform, 2, 0, true},
      {Placement::Wave, 1, Budget::Uniform, 0, 1, true},
  };
  Table table({"setting", "T_lat/T_F", "T_bw/T_F", "greedy (ms)",
               "solver (ms)", "proven bound (ms)", "gap", "optimal",
               "seconds"});
  int within = 0, count = 0;
  for (const Setting &s : picks) {
    Problem p = s.problem();
    Run g = runGreedy(p);
    Run o = runOptimal(p, config.gapSeconds);
    std::string name =
        s.figure8 ? std::string("Figure 8")
                  : std::string(s.placement == Placement::Wave ? "wave" : "UD") +
                        " case " + std::to_string(s.kase) + " " +
                        budgetName(s.budget);
    ++count;
    within += o.ok && o.gap <= 0.02 + 1e-12;
    table.addRow({name, fixed(s.lat, 2), fixed(s.bw, 2), ms(g.makespanMs),
                  o.ok ? ms(o.makespanMs) : o.note, ms(o.lowerBoundMs),
                  fixed(o.gap * 100, 2) + "%", o.optimal ? "yes" : "no",
                  fixed(o.seconds, 1)});
    std::cout << "." << std::flush;
  }
  std::cout << "\n";
  headline += "- Solver at " + fixed(config.gapSeconds, 0) + " s: " +
              std::to_string(within) + " of " + std::to_string(count) +
              " representative settings within 2% of the proven bound\n";
  return table.str();
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  return in >> first ? first : "unknown";
}

} // namespace

std::string crosspipe::repro::runBounds(const Config &config) {
  std::cout << "Bounds: lower bounds against the best schedules known\n";
  std::string headline;
  Totals m70, fig8;
  std::string text =
      "# Lower bounds against the best schedules known\n\n"
      "Generated by `crosspipe-repro --only bounds` (bench/repro/Bounds.cpp) "
      "on issue 10's settings (see targets.md). *best*: the better of the "
      "greedy and the solver (" +
      fixed(config.solverSeconds, 0) +
      " s per setting, one thread, seeded with the greedy). *old bound*: the "
      "largest of the device, round-trip, memory and DP-tail bounds, i.e. "
      "computeLowerBound() without the sequencing and link bounds (the "
      "device bound with pending W's capped by the budget, the memory bound "
      "with the turn cycle); *new "
      "bound*: computeLowerBound() now; *binding*: the part of it that "
      "binds; *solver bound*: the solver's proven bound (which starts from "
      "the new one, and whose model takes the new bound's order statistics "
      "as earliest starts and least tails). 1-minute load average at the start: " +
      loadAverage() + " on 2 shared cores.\n\n"
      "## M70-shaped stages, 8 devices (4 + 4)\n\n";
  text += boundsTable(config, false, m70);
  text += "\n## Figure 8 setting (4 devices, 8 wave chunks, 8 microbatches)"
          "\n\n";
  text += boundsTable(config, true, fig8);
  auto summary = [](const char *what, const Totals &t) {
    return std::string("- ") + what + ": best / bound worst " +
           fixed(t.worstOld, 3) + " -> " + fixed(t.worstNew, 3) + ", mean " +
           fixed(t.sumOld / t.rows, 3) + " -> " + fixed(t.sumNew / t.rows, 3) +
           " (old -> new bound, " + std::to_string(t.rows) + " settings)\n";
  };
  headline += summary("M70 settings", m70);
  headline += summary("Figure 8 settings", fig8);
  if (config.gapSeconds > 0) {
    text += "\n## The solver at " + fixed(config.gapSeconds, 0) +
            " s on representative settings\n\n";
    text += gapTable(config, headline);
  }
  text += "\n## Summary\n\n" + headline;
  writeResult(config, "bounds.md", text);
  return "\n## Lower bounds ([bounds.md](bounds.md))\n\n" + headline;
}
