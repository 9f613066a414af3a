//===- Experiments.h - The paper's experiments, one function each -*- C++ -*-//
//
// Each experiment writes its Markdown table(s) and SVG plot into the output
// directory and returns a few lines of Markdown with its headline numbers,
// which ReproMain.cpp gathers into summary.md. Every number is simulated with
// our performance model; where the paper's numbers are quoted next to ours,
// the paper's were measured on GH200 nodes with emulated delays.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_BENCH_REPRO_EXPERIMENTS_H
#define CROSSPIPE_BENCH_REPRO_EXPERIMENTS_H

#include "ReproCommon.h"

#include <string>

namespace crosspipe {
namespace repro {

/// Figure 8: slowdown against ZB-V without delay, 4 stages, 8 microbatches,
/// 2 datacenters, as T_lat/T_F and T_bw/T_F go from 0 to 2.
std::string runFigure8(const Config &config);

/// Tables 5 and 6: M70 on 2 and 4 datacenters, cases 1 and 3, seconds per
/// microbatch of every schedule next to the paper's measured numbers.
/// `examplesDir` holds m70-2dc.json.
std::string runPaperTables(const Config &config,
                           const std::string &examplesDir);

/// Section 5.2: cross-datacenter PP against cross-datacenter DP for a
/// Llama-3-405B shape, latency 4-128 ms, bandwidth 4-1024 GB/s.
std::string runDpVsPp(const Config &config);

/// Figure 14 style: the optimal solver on 4..32 devices (microbatches twice
/// the devices): time to first improvement, best makespan and gap over time.
std::string runSolverScaling(const Config &config);

/// Issue 10's settings: our greedy against the figures of the paper authors'
/// own schedulers, and against our solver on the Figure 8 wave.
std::string runTargets(const Config &config);

/// Lower bounds against the best schedules known on issue 10's settings,
/// before and after the sequencing and link bounds, and the solver's gap.
std::string runBounds(const Config &config);

} // namespace repro
} // namespace crosspipe

#endif // CROSSPIPE_BENCH_REPRO_EXPERIMENTS_H
