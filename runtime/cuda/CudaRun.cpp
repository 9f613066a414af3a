//===- CudaRun.cpp - crosspipe-run: a plan on CUDA streams and NCCL -------===//
//
// crosspipe_cuda_main is the runner of host/Runner.h (shared with
// crosspipe-host-run) with the CUDA executor: the environment set before
// CUDA starts (CUDA_DEVICE_MAX_CONNECTIONS=32 and
// NCCL_LAUNCH_ORDER_IMPLICIT=1 unless the user set them), MPI when launched
// by mpirun (one process per device, finalized on every way out by
// MpiSession), the CUDA options taken out of argv, a dry run that stops
// after planning the streams, the stream summary and the --cuda-report.
//
//===----------------------------------------------------------------------===//

#include "core/Driver.h"
#include "cuda/CudaExecutor.h"
#include "host/MpiWorld.h"
#include "host/Runner.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

using namespace crosspipe::rt;
using namespace crosspipe::rt::cuda;

namespace {

const char *const kCudaUsage =
    "CUDA runner (crosspipe-run): the plan on CUDA streams and NCCL; an\n"
    "emulate plan plays every device on one GPU. Besides the options above:\n"
    "  --tag-buffers           stash slots keep only their tag (no payload);\n"
    "                          messages and gradients keep theirs\n"
    "  --emulate-wan           NCCL plans: also spin each message's\n"
    "                          bandwidth window and wait its latency\n"
    "  --max-ctas N            CTAs per channel communicator (default 4)\n"
    "  --allow-few-queues      warn, not refuse, when CUDA_DEVICE_MAX_\n"
    "                          CONNECTIONS is below the plan's streams\n"
    "  --cuda-report FILE      JSON: streams, hardware queues, host issue\n"
    "                          time per step\n"
    "  --dry-run               print the streams the plan needs against the\n"
    "                          hardware queues and stop (no GPU needed)\n";

host::MpiWorld *activeWorld = nullptr;

/// Takes the CUDA options out of argv (the rest goes to the core's
/// parser). Returns false with `error` on a bad value.
bool takeCudaOptions(int &argc, char **argv, CudaOptions &o,
                     std::string &error) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i] ? argv[i] : "";
    if (arg == "--tag-buffers") {
      o.tagBuffers = true;
    } else if (arg == "--emulate-wan") {
      o.emulateWan = true;
    } else if (arg == "--dry-run") {
      o.dryRun = true;
    } else if (arg == "--allow-few-queues") {
      o.allowFewQueues = true;
    } else if (arg == "--max-ctas" || arg == "--cuda-report") {
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      std::string v = argv[++i];
      if (arg == "--cuda-report") {
        o.report = v;
      } else {
        char *end = nullptr;
        long n = std::strtol(v.c_str(), &end, 10);
        if (!end || *end || n < 1 || n > 64) {
          error = "--max-ctas must be an integer in [1, 64], not '" + v + "'";
          return false;
        }
        o.maxCtas = int(n);
      }
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return true;
}

int runAll(int argc, char **argv, const crosspipe_plan *compiled,
           host::MpiWorld *world) {
  host::RunnerHooks hooks;
  hooks.program = "crosspipe-run";
  hooks.extraUsage = kCudaUsage;
  hooks.world = world;
  CudaOptions cudaOptions;
  std::string error;
  if (!takeCudaOptions(argc, argv, cudaOptions, error)) {
    host::reportError(hooks, error);
    return 2;
  }
  CudaExecutor *cuda = nullptr;
  hooks.makeExecutor = [&] {
    auto owner = std::make_unique<CudaExecutor>(world, cudaOptions);
    cuda = owner.get();
    return owner;
  };
  hooks.createFailed = [&](const std::string &why) {
    if (!cudaOptions.dryRun || why.rfind("dry run: ", 0) != 0)
      return -1;
    std::printf("crosspipe-run: %s\n", why.c_str() + 9);
    return 0;
  };
  hooks.afterCreate = [&](const crosspipe_run_options &options) {
    if (cuda->reports() && !options.quiet)
      std::printf("crosspipe-run: %s\n", cuda->streamSummary().c_str());
  };
  hooks.afterSteps = [&](const crosspipe_run_options &options,
                         std::string &outputError) {
    if (cuda->reports() && !options.quiet)
      std::printf("crosspipe-run: host issue %.3f ms per step (mean of %d)\n",
                  cuda->meanIssueMs(), options.warmup + options.steps);
    return cuda->writeReport(outputError);
  };
  return host::runPlanMain(argc, argv, compiled, hooks);
}

} // namespace

extern "C" int crosspipe_cuda_main(int argc, char **argv,
                                   const crosspipe_plan *compiled) {
  // Before anything starts CUDA (MPI may): the hardware queues, and NCCL
  // kernels of different communicators in host issue order.
  if (std::getenv("CUDA_DEVICE_MAX_CONNECTIONS"))
    setenv("CROSSPIPE_QUEUES_FROM_USER", "1", 1);
  else
    setenv("CUDA_DEVICE_MAX_CONNECTIONS", "32", 1);
  setenv("NCCL_LAUNCH_ORDER_IMPLICIT", "1", 0);
  try {
    host::MpiSession session(&argc, &argv);
    if (!session.error().empty()) {
      std::fprintf(stderr, "crosspipe-run: error: %s\n",
                   session.error().c_str());
      return 2;
    }
    activeWorld = session.world();
    int status = runAll(argc, argv, compiled, activeWorld);
    activeWorld = nullptr;
    return status; // ~MpiSession: MPI_Finalize
  } catch (...) {
    activeWorld = nullptr;
    std::fprintf(stderr, "crosspipe-run: error: out of memory\n");
    return 1;
  }
}
