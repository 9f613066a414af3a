//===- HostRun.cpp - crosspipe_executor_create and crosspipe-host-run -----===//
//
// The host backend's entry points of Run.h. crosspipe_host_main is the
// runner of Runner.h with the host executor, in MPI when launched by mpirun
// (one process per device); every way out finalizes MPI.
//
//===----------------------------------------------------------------------===//

#include "core/Driver.h"
#include "host/HostExecutor.h"
#include "host/Runner.h"

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
    RunnerHooks hooks;
    hooks.program = "crosspipe-host-run";
    hooks.world = session.world();
    hooks.makeExecutor = [&] {
      return std::make_unique<HostExecutor>(session.world());
    };
    int status = runPlanMain(argc, argv, compiled, hooks);
    activeSession = nullptr;
    return status;
  } catch (...) {
    activeSession = nullptr;
    std::fprintf(stderr, "crosspipe-host-run: error: out of memory\n");
    return 1;
  }
}
