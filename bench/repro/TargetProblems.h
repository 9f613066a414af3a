//===- TargetProblems.h - Issue 10's problem settings -----------*- C++ -*-===//
//
// The settings the targets and bounds experiments share: M70-shaped stages
// (F = D = W = 38 ms, 64 MiB messages, 4 GiB of activation per stage) on P
// devices in two datacenters, under the per-device or the uniform budget,
// unidirectional or wave, with cross-datacenter links set from the delay
// ratios; and the Figure 8 setting (4 devices, 8 wave chunks).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_BENCH_REPRO_TARGETPROBLEMS_H
#define CROSSPIPE_BENCH_REPRO_TARGETPROBLEMS_H

#include "crosspipe/Schedule/Problem.h"

namespace crosspipe {
namespace repro {

/// T_F of an M70 stage, ms.
constexpr double kTargetTf = 38;

enum class Budget { PerDevice, Uniform };

const char *budgetName(Budget budget);

/// P devices in two datacenters (P/2 each), one stage per device of `f` ms
/// per block, free links inside datacenters and (until set) across them.
sched::Problem targetStages(int devices, int microbatches, double f);

/// The M70-shaped problem: `factor` times 1F1B's memory by `budget`, links
/// at (lat, bw) x T_F, on `placement` (a wave chunk is half a stage).
sched::Problem targetM70(sched::Placement placement, int microbatches,
                         double factor, Budget budget, double lat, double bw,
                         int devices = 8);

/// The Figure 8 setting: 4 devices (2 + 2), 8 microbatches, 8 wave chunks
/// of 19 ms, every device up to 4 full-stage activations, links at
/// (lat, bw) x 38 ms.
sched::Problem targetFigure8(double lat, double bw);

} // namespace repro
} // namespace crosspipe

#endif // CROSSPIPE_BENCH_REPRO_TARGETPROBLEMS_H
