//===- ChromeTrace.h - Timelines as Chrome trace JSON -----------*- C++ -*-===//
//
// Writes a simulated (or measured) timeline in the Chrome trace event format
// that Perfetto and chrome://tracing open. The event layout is a contract
// documented in the README: one complete event per compute block, transfer
// and DP collective, with their identity in "args", and a summary in
// "otherData".
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_FORMAT_CHROMETRACE_H
#define CROSSPIPE_FORMAT_CHROMETRACE_H

#include "crosspipe/Schedule/Simulator.h"

#include <optional>
#include <string>

namespace crosspipe {
namespace sched {

struct TraceSummary {
  std::string algorithm;
  double makespanMs = 0;
  double lowerBoundMs = 0;
  /// Set by the optimal solver: whether optimality was proven, and the gap.
  std::optional<bool> optimal;
  std::optional<double> gap;
};

/// The trace as JSON text (pretty-printed with one event per line).
std::string writeChromeTrace(const Problem &problem, const Schedule &schedule,
                             const SimResult &result,
                             const TraceSummary &summary);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_FORMAT_CHROMETRACE_H
