//===- HostRun.cpp - crosspipe_executor_create and crosspipe-host-run -----===//
//
// The host backend's entry points of Run.h. crosspipe_host_main is the
// whole runner: MPI when launched by mpirun (one process per device), the
// options, the plan (--plan FILE, else the one compiled in), warm-up and
// measured steps, the swap to --swap-plan after --swap-after steps, and the
// outputs; exit status 0, 1 when the run fails (every process of the run
// fails the same step), 2 on bad usage. Every way out finalizes MPI.
//
//===----------------------------------------------------------------------===//

#include "core/Driver.h"
#include "host/HostExecutor.h"
#include "host/UnrolledStep.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace crosspipe::rt;
using namespace crosspipe::rt::host;

namespace {
/// The MPI session of crosspipe_host_main, while it runs.
MpiSession *activeSession = nullptr;

int launchedSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *value = std::getenv(name))
      return std::atoi(value);
  return 0;
}

/// One line on stderr, prefixed with the rank under MPI.
void report(const std::string &what) {
  MpiWorld *world = activeSession ? activeSession->world() : nullptr;
  // A plan file's errors already read "FILE:LINE: error: ...".
  const char *kind =
      what.find(": error: ") != std::string::npos ? "" : "error: ";
  if (world)
    std::fprintf(stderr, "crosspipe-host-run: rank %d: %s%s\n", world->rank(),
                 kind, what.c_str());
  else
    std::fprintf(stderr, "crosspipe-host-run: %s%s\n", kind, what.c_str());
  std::fflush(stderr);
}
} // namespace

extern "C" crosspipe_executor *
crosspipe_executor_create(const crosspipe_plan *plan,
                          const crosspipe_run_options *options, char *error,
                          size_t size) {
  try {
    MpiWorld *world = activeSession ? activeSession->world() : nullptr;
    if (!world && launchedSize() > 1) {
      copyError("launched by mpirun: run the plan with crosspipe_host_main "
                "(crosspipe-host-run), which starts MPI",
                error, size);
      return nullptr;
    }
    crosspipe_run_options defaults;
    crosspipe_run_default_options(&defaults);
    std::string message;
    std::unique_ptr<Run> run =
        Run::create(plan, options ? *options : defaults,
                    std::make_unique<HostExecutor>(world), message);
    if (!run) {
      copyError(message, error, size);
      return nullptr;
    }
    return wrapRun(std::move(run));
  } catch (...) {
    copyError("out of memory setting up the executor", error, size);
    return nullptr;
  }
}

namespace {

/// Reads a plan file, checked as --check says.
crosspipe_plan *readPlan(const char *path, const crosspipe_run_options &options,
                         std::string &error) {
  return readPlanFile(
      path, options.structure_only ? CheckLevel::Structure : CheckLevel::Full,
      error);
}

int runAll(int argc, char **argv, const crosspipe_plan *compiled) {
  crosspipe_run_options options;
  crosspipe_run_default_options(&options);
  const char *planPath = nullptr;
  std::string error;
  int parsed = parseRunOptions(options, argc, argv, &planPath, error);
  MpiWorld *world = activeSession->world();
  if (parsed == 1) {
    if (!world || world->rank() == 0)
      std::fputs(kRunUsage, stdout);
    return 0;
  }
  if (parsed < 0) {
    report(error);
    return 2;
  }
  std::unique_ptr<crosspipe_plan, void (*)(crosspipe_plan *)> owned(
      nullptr, crosspipe_plan_free);
  const crosspipe_plan *plan = compiled;
  if (planPath) {
    owned.reset(readPlan(planPath, options, error));
    plan = owned.get();
  } else if (!plan) {
    error = "no plan: give --plan FILE (this runner has none compiled in)";
  }
  bool ok = plan != nullptr;
  // The compiled-in plan's two forms (tables, unrolled step) must agree.
  if (ok && plan == compiled) {
    PlanFault fault;
    if (!checkPlan(plan, CheckLevel::Structure, fault)) {
      error = "the compiled-in plan is invalid: " + formatFault(fault);
      ok = false;
    } else if (!checkUnrolledStep(*plan, error)) {
      ok = false;
    }
  }
  if (world)
    ok = world->agree(ok);
  if (!ok) {
    report(error.empty() ? "another process could not read the plan" : error);
    return planPath || compiled ? 1 : 2;
  }

  char buffer[2048] = "";
  crosspipe_executor *rt =
      crosspipe_executor_create(plan, &options, buffer, sizeof(buffer));
  if (!rt) {
    report(buffer);
    return 1;
  }
  int total = options.warmup + options.steps;
  for (int step = 1; step <= total; ++step) {
    if (options.swap_plan && step == options.swap_after + 1) {
      crosspipe_plan *next = nullptr;
      error.clear();
      next = readPlan(options.swap_plan, options, error);
      int status = crosspipe_swap_plan(rt, next, buffer, sizeof(buffer));
      crosspipe_plan_free(next);
      if (status != 0) {
        report(std::string("--swap-plan ") + options.swap_plan + ": " +
               (next ? std::string(buffer) : error));
        crosspipe_executor_finish(rt, buffer, sizeof(buffer));
        return 1;
      }
    }
    if (crosspipe_executor_step(rt, step > options.warmup, buffer,
                                sizeof(buffer)) != 0) {
      report(buffer);
      char ignored[256];
      crosspipe_executor_finish(rt, ignored, sizeof(ignored));
      return 1;
    }
  }
  if (crosspipe_executor_finish(rt, buffer, sizeof(buffer)) != 0) {
    report(buffer);
    return 1;
  }
  return 0;
}

} // namespace

extern "C" int crosspipe_host_main(int argc, char **argv,
                                   const crosspipe_plan *compiled) {
  try {
    MpiSession session(&argc, &argv);
    if (!session.error().empty()) {
      std::fprintf(stderr, "crosspipe-host-run: error: %s\n",
                   session.error().c_str());
      return 2;
    }
    activeSession = &session;
    int status = runAll(argc, argv, compiled);
    activeSession = nullptr;
    return status;
  } catch (...) {
    activeSession = nullptr;
    std::fprintf(stderr, "crosspipe-host-run: error: out of memory\n");
    return 1;
  }
}
