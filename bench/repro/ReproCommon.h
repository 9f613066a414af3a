//===- ReproCommon.h - Shared pieces of the paper reproduction --*- C++ -*-===//
//
// The reproduction driver (ReproMain.cpp) regenerates the CrossPipe paper's
// experiments in simulation. Every experiment builds problems the same way
// (a pipeline whose cross-datacenter links are set from the paper's delay
// ratios T_lat/T_F and T_bw/T_F, and its wave and interleaved variants with
// the same total work), runs schedules the same way (static baselines,
// greedy, optimal solver) and writes Markdown the same way; those pieces
// live here.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_BENCH_REPRO_REPROCOMMON_H
#define CROSSPIPE_BENCH_REPRO_REPROCOMMON_H

#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Solver/OptimalSolver.h"

#include <string>
#include <vector>

namespace crosspipe {
namespace repro {

/// Settings shared by every experiment.
struct Config {
  /// Directory the tables and plots are written to.
  std::string outDir = "bench/results";
  /// Wall-clock budget of one optimal-solver call (tables, Figure 8).
  double solverSeconds = 3;
  /// Budget per size of the solver-scaling experiment.
  double scalingSeconds = 20;
  /// Solver limit of the bounds experiment's gap table (0 = no table).
  double gapSeconds = 0;
  /// Fewer points and shorter budgets, for a smoke test.
  bool quick = false;
};

/// One schedule's outcome on one problem.
struct Run {
  bool ok = false;
  /// Why there is no number (a baseline that does not apply, ...).
  std::string note;
  double makespanMs = 0;
  /// Best proven bound: analytic, or the solver's when it ran.
  double lowerBoundMs = 0;
  /// Solver only: proven optimal, and (makespan - bound) / makespan.
  bool optimal = false;
  double gap = 0;
  /// Whether the peak activations stay inside the problem's budget.
  bool fitsBudget = true;
  double seconds = 0;
  /// The greedy's winning rule, or "baseline:NAME".
  std::string rule;
  /// The schedule the numbers describe, for pictures.
  sched::Schedule schedule;
};

/// `devices` devices in two datacenters (the first gets devices / 2, the
/// second the rest), one stage per device with F = D = W = `f` ms (B =
/// 2f), `activationBytes` of activation and `messageBytes` to the next
/// stage; messages are free on every link until set, no memory limit.
sched::Problem twoDatacenterStages(const std::string &name, int devices,
                                   int microbatches, double f,
                                   uint64_t activationBytes,
                                   uint64_t messageBytes);

/// Sets every cross-datacenter link: latency `latencyMs` and a bandwidth at
/// which one `messageBytes` message takes `msPerMessage` (0: no bandwidth
/// cost). Links inside datacenters are left alone.
void setCrossLinks(sched::Problem &problem, double latencyMs,
                   double msPerMessage, uint64_t messageBytes);

/// The same model cut into `perDevice` chunks per device (each chunk a
/// 1/perDevice share of a stage's layers: times, activations and gradients
/// divided, messages unchanged) and placed by `placement` (Interleaved or
/// Wave). Memory budgets stay the same bytes per device.
sched::Problem splitChunks(const sched::Problem &unidirectional,
                           sched::Placement placement, int perDevice);

/// Simulates a static baseline; memory is reported, not enforced (the
/// paper's baselines use what they need).
Run runBaseline(const sched::Problem &problem, sched::BaselineKind kind);

/// The greedy with default options and `subBlocks`.
Run runGreedy(const sched::Problem &problem, int subBlocks = 1);

/// The optimal solver with a time budget.
Run runOptimal(const sched::Problem &problem, double seconds);

/// A Markdown table.
class Table {
public:
  explicit Table(std::vector<std::string> header);
  /// Right-aligns every column but the first `leftColumns`.
  void setLeftColumns(int n) { leftColumns = n; }
  void addRow(std::vector<std::string> row);
  std::string str() const;

private:
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int leftColumns = 1;
};

/// printf("%.*f").
std::string fixed(double value, int digits);

/// Writes `text` to outDir/name, creating outDir; false (with a message on
/// stderr) on failure.
bool writeResult(const Config &config, const std::string &name,
                 const std::string &text);

} // namespace repro
} // namespace crosspipe

#endif // CROSSPIPE_BENCH_REPRO_REPROCOMMON_H
