//===- Runner.h - The runner both backends' programs share ------*- C++ -*-===//
//
// crosspipe-host-run and crosspipe-run differ only in their executor and a
// few outputs; everything else is this runner: the core's options, the plan
// (--plan FILE, else the one compiled in, whose unrolled step must issue
// exactly its programs), agreement of every MPI process on it, warm-up and
// measured steps, the swap to --swap-plan after --swap-after steps, and
// the outputs. Exit status 0, 1 when the run fails (every process fails the
// same step), 2 on bad usage. MPI is the caller's (MpiSession).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_HOST_RUNNER_H
#define CROSSPIPE_RUNTIME_HOST_RUNNER_H

#include "core/Driver.h"
#include "host/MpiWorld.h"

#include <functional>
#include <memory>
#include <string>

namespace crosspipe {
namespace rt {
namespace host {

/// What a backend's program adds to the runner.
struct RunnerHooks {
  const char *program = "crosspipe-host-run"; ///< Prefix of its messages.
  const char *extraUsage = nullptr;            ///< After the core's usage.
  MpiWorld *world = nullptr;
  /// This process's executor.
  std::function<std::unique_ptr<Executor>()> makeExecutor;
  /// Run::create failed: the exit status to return without reporting
  /// `error` (e.g. a dry run that stops there), or -1 to report it.
  std::function<int(const std::string &error)> createFailed;
  /// After the set-up and after the last step (false with `error` fails
  /// the run; the outputs are still written).
  std::function<void(const crosspipe_run_options &)> afterCreate;
  std::function<bool(const crosspipe_run_options &, std::string &error)>
      afterSteps;
};

/// One line on stderr: "PROGRAM: [rank R: ]error: WHAT" (a plan file's
/// errors already read "FILE:LINE: error: ...").
void reportError(const RunnerHooks &hooks, const std::string &what);

/// Parses argv (the backend's own options already taken out) and runs.
int runPlanMain(int argc, char **argv, const crosspipe_plan *compiled,
                const RunnerHooks &hooks);

} // namespace host
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_HOST_RUNNER_H
