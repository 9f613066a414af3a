//===- Report.h - Traces, profiles and JSON of a run ------------*- C++ -*-===//
//
// Writers of what a run leaves behind (Report.cpp): the Chrome trace of a
// measured or modelled step in the simulator's layout, the per-step
// profile CSV, and the JSON helpers of the summary.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CORE_REPORT_H
#define CROSSPIPE_RUNTIME_CORE_REPORT_H

#include "Executor.h"

#include <cstdio>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {

std::string jsonString(const std::string &text);
/// %.17g, or null for NaN and infinities.
std::string jsonNumber(double value);

/// What a trace's otherData says besides the plan's own fields.
struct TraceInfo {
  bool measured = true;
  double makespanMs = 0; ///< At the run's time scale.
  double timeScale = 1;
  int step = 0;
  std::string backend = "host", arrangement;
};

/// Writes `start`/`end` ([device][action], ms) of `index`'s plan.
bool writeTrace(const char *path, const TraceInfo &info, const PlanIndex &index,
                const std::vector<std::vector<double>> &start,
                const std::vector<std::vector<double>> &end,
                std::string &error);

/// The profile's header comment (the columns) and its CSV header row.
bool writeProfileHeader(FILE *out, const PlanIndex &index, double timeScale);
/// One row per non-wait action of a measured step.
bool writeProfileRows(FILE *out, int step, const PlanIndex &index,
                      const StepTimes &times, double timeScale);

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CORE_REPORT_H
