//===- Driver.h - The step driver -------------------------------*- C++ -*-===//
//
// A Run holds the plan being executed (an owned copy and its index), the
// backend, the time scale and what the measured steps produced. It checks
// and indexes plans, runs steps, swaps plans between steps, streams the
// profile, and at the end writes the traces and the summary and prints the
// measured step against the simulated one. The C API of Run.h is a thin
// shell around it; backends only implement Executor.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CORE_DRIVER_H
#define CROSSPIPE_RUNTIME_CORE_DRIVER_H

#include "Executor.h"
#include "crosspipe/Runtime/Run.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {

/// A plan the run owns, with its index.
struct LoadedPlan {
  std::unique_ptr<OwnedPlan> plan;
  std::unique_ptr<PlanIndex> index;
};

/// Checks (at `level`), copies and indexes `plan`. A plan that deadlocks
/// under the model is refused at CheckLevel::Full.
std::shared_ptr<LoadedPlan> loadPlan(const crosspipe_plan *plan,
                                     CheckLevel level, std::string &error);

/// The options of Run.h with their strings owned.
struct RunOptions {
  crosspipe_run_options c;
  std::string trace, tracePredicted, summary, profile, swapPlan;
  explicit RunOptions(const crosspipe_run_options &options);
};

class Run {
public:
  /// Sets up `executor` for `plan`; nullptr with `error` on failure.
  static std::unique_ptr<Run> create(const crosspipe_plan *plan,
                                     const crosspipe_run_options &options,
                                     std::unique_ptr<Executor> executor,
                                     std::string &error);
  ~Run();

  bool step(bool measured, std::string &error);
  bool swap(const crosspipe_plan *plan, std::string &error);
  /// Writes the outputs (on the reporting process) and closes the backend.
  bool finish(std::string &error);

  int stepsRun() const { return stepCount; }
  Executor &executor() { return *exec; }

private:
  Run(const crosspipe_run_options &options) : options(options) {}
  bool openProfile(std::string &error);
  bool writeSummary(std::string &error) const;
  void printLine() const;

  /// One measured step.
  struct Record {
    int step = 0;
    std::string plan;
    double makespanMs = 0, predictedMs = 0, wallMs = 0;
    int64_t actions = 0;
  };
  struct SwapRecord {
    int afterStep = 0;
    std::string from, to, kept;
  };

  RunOptions options;
  CheckLevel level = CheckLevel::Full;
  std::unique_ptr<Executor> exec;
  std::shared_ptr<LoadedPlan> current;
  double scale = 1;
  int stepCount = 0;
  bool failed = false, closed = false;
  std::vector<Record> records;
  std::vector<SwapRecord> swaps;
  /// The last measured step, with the plan it ran.
  std::shared_ptr<LoadedPlan> lastPlan;
  StepTimes lastTimes;
  FILE *profile = nullptr;
};

/// The C handle of Run.h around a run (Driver.cpp); backends' create
/// functions return it.
crosspipe_executor *wrapRun(std::unique_ptr<Run> run);

/// Parses a command line into `options` (Run.h); `plan` receives --plan.
/// Returns 0, 1 after --help, -1 with `error`.
int parseRunOptions(crosspipe_run_options &options, int argc, char **argv,
                    const char **plan, std::string &error);
extern const char *const kRunUsage;

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CORE_DRIVER_H
