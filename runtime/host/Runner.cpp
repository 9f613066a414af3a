//===- Runner.cpp - The runner both backends' programs share --------------===//

#include "host/Runner.h"
#include "host/UnrolledStep.h"

#include <cstdio>

using namespace crosspipe::rt;
using namespace crosspipe::rt::host;

namespace {
using PlanHandle = std::unique_ptr<crosspipe_plan, void (*)(crosspipe_plan *)>;

/// The plan to run: the file, else the compiled-in one (checked, with its
/// unrolled step). Nullptr with `error` when there is none.
const crosspipe_plan *planToRun(const char *path, const crosspipe_plan *compiled,
                               CheckLevel level, PlanHandle &owned,
                               std::string &error) {
  if (path) {
    owned.reset(readPlanFile(path, level, error));
    return owned.get();
  }
  if (!compiled) {
    error = "no plan: give --plan FILE (this runner has none compiled in)";
    return nullptr;
  }
  PlanFault fault;
  if (!checkPlan(compiled, CheckLevel::Structure, fault)) {
    error = "the compiled-in plan is invalid: " + formatFault(fault);
    return nullptr;
  }
  return checkUnrolledStep(*compiled, error) ? compiled : nullptr;
}

/// The steps, with the swap; false with `error` on the first failure.
bool runSteps(Run &run, const crosspipe_run_options &options, CheckLevel level,
              std::string &error) {
  int total = options.warmup + options.steps;
  for (int step = 1; step <= total; ++step) {
    if (options.swap_plan && step == options.swap_after + 1) {
      std::string readError;
      PlanHandle next(readPlanFile(options.swap_plan, level, readError),
                     crosspipe_plan_free);
      bool good = run.executor().agree(next != nullptr);
      if (!good || !run.swap(next.get(), error)) {
        error = std::string("--swap-plan ") + options.swap_plan + ": " +
                (next ? error
                      : readError.empty() ? "another process could not read it"
                                          : readError);
        return false;
      }
    }
    if (!run.step(step > options.warmup, error))
      return false;
  }
  return true;
}
} // namespace

void crosspipe::rt::host::reportError(const RunnerHooks &hooks,
                                      const std::string &what) {
  const char *kind =
      what.find(": error: ") != std::string::npos ? "" : "error: ";
  if (hooks.world)
    std::fprintf(stderr, "%s: rank %d: %s%s\n", hooks.program,
                 hooks.world->rank(), kind, what.c_str());
  else
    std::fprintf(stderr, "%s: %s%s\n", hooks.program, kind, what.c_str());
  std::fflush(stderr);
}

int crosspipe::rt::host::runPlanMain(int argc, char **argv,
                                     const crosspipe_plan *compiled,
                                     const RunnerHooks &hooks) {
  crosspipe_run_options options;
  crosspipe_run_default_options(&options);
  const char *planPath = nullptr;
  std::string error;
  int parsed = parseRunOptions(options, argc, argv, &planPath, error);
  if (parsed == 1) {
    if (!hooks.world || hooks.world->rank() == 0) {
      std::fputs(kRunUsage, stdout);
      if (hooks.extraUsage)
        std::fputs(hooks.extraUsage, stdout);
    }
    return 0;
  }
  if (parsed < 0) {
    reportError(hooks, error);
    return 2;
  }
  CheckLevel level =
      options.structure_only ? CheckLevel::Structure : CheckLevel::Full;
  PlanHandle owned(nullptr, crosspipe_plan_free);
  const crosspipe_plan *plan =
      planToRun(planPath, compiled, level, owned, error);
  bool ok = plan != nullptr;
  if (hooks.world)
    ok = hooks.world->agree(ok);
  if (!ok) {
    reportError(hooks, error.empty() ? "another process could not read the plan"
                                     : error);
    return planPath || compiled ? 1 : 2;
  }
  std::unique_ptr<Run> run =
      Run::create(plan, options, hooks.makeExecutor(), error);
  if (!run) {
    int status = hooks.createFailed ? hooks.createFailed(error) : -1;
    if (status >= 0)
      return status;
    reportError(hooks, error);
    return 1;
  }
  if (hooks.afterCreate)
    hooks.afterCreate(options);
  if (!runSteps(*run, options, level, error)) {
    reportError(hooks, error);
    std::string ignored;
    run->finish(ignored);
    return 1;
  }
  std::string outputError;
  bool wrote = !hooks.afterSteps || hooks.afterSteps(options, outputError);
  if (!run->finish(error)) {
    reportError(hooks, error);
    return 1;
  }
  if (!wrote) {
    reportError(hooks, outputError);
    return 1;
  }
  return 0;
}
