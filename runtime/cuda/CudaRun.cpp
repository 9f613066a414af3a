//===- CudaRun.cpp - crosspipe-run: a plan on CUDA streams and NCCL -------===//
//
// crosspipe_cuda_main is the whole runner, as crosspipe_host_main is for
// the host executor: the environment set before CUDA starts
// (CUDA_DEVICE_MAX_CONNECTIONS=32 and NCCL_LAUNCH_ORDER_IMPLICIT=1 unless
// the user set them), MPI when launched by mpirun (one process per device,
// finalized on every way out by MpiSession), the core's options plus the
// CUDA ones, the plan (--plan FILE, else the one compiled in, whose
// unrolled step must issue exactly its programs), warm-up and measured
// steps, the swap, and the outputs. Exit status 0, 1 when the run fails,
// 2 on bad usage.
//
//===----------------------------------------------------------------------===//

#include "core/Driver.h"
#include "cuda/CudaExecutor.h"
#include "host/MpiWorld.h"
#include "host/UnrolledStep.h"

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

void report(const std::string &what) {
  const char *kind =
      what.find(": error: ") != std::string::npos ? "" : "error: ";
  if (activeWorld)
    std::fprintf(stderr, "crosspipe-run: rank %d: %s%s\n", activeWorld->rank(),
                 kind, what.c_str());
  else
    std::fprintf(stderr, "crosspipe-run: %s%s\n", kind, what.c_str());
  std::fflush(stderr);
}

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
  CudaOptions cudaOptions;
  std::string error;
  if (!takeCudaOptions(argc, argv, cudaOptions, error)) {
    report(error);
    return 2;
  }
  crosspipe_run_options options;
  crosspipe_run_default_options(&options);
  const char *planPath = nullptr;
  int parsed = parseRunOptions(options, argc, argv, &planPath, error);
  if (parsed == 1) {
    if (!world || world->rank() == 0) {
      std::fputs(kRunUsage, stdout);
      std::fputs(kCudaUsage, stdout);
    }
    return 0;
  }
  if (parsed < 0) {
    report(error);
    return 2;
  }
  CheckLevel level =
      options.structure_only ? CheckLevel::Structure : CheckLevel::Full;
  std::unique_ptr<crosspipe_plan, void (*)(crosspipe_plan *)> owned(
      nullptr, crosspipe_plan_free);
  const crosspipe_plan *plan = compiled;
  if (planPath) {
    owned.reset(readPlanFile(planPath, level, error));
    plan = owned.get();
  } else if (!plan) {
    error = "no plan: give --plan FILE (this runner has none compiled in)";
  }
  bool ok = plan != nullptr;
  if (ok && plan == compiled) {
    PlanFault fault;
    if (!checkPlan(plan, CheckLevel::Structure, fault)) {
      error = "the compiled-in plan is invalid: " + formatFault(fault);
      ok = false;
    } else if (!host::checkUnrolledStep(*plan, error)) {
      ok = false;
    }
  }
  if (world)
    ok = world->agree(ok);
  if (!ok) {
    report(error.empty() ? "another process could not read the plan" : error);
    return planPath || compiled ? 1 : 2;
  }

  auto owner = std::make_unique<CudaExecutor>(world, cudaOptions);
  CudaExecutor *cuda = owner.get();
  std::unique_ptr<Run> run =
      Run::create(plan, options, std::move(owner), error);
  if (!run) {
    if (cudaOptions.dryRun && error.rfind("dry run: ", 0) == 0) {
      std::printf("crosspipe-run: %s\n", error.c_str() + 9);
      return 0;
    }
    report(error);
    return 1;
  }
  if (cuda->reports() && !options.quiet)
    std::printf("crosspipe-run: %s\n", cuda->streamSummary().c_str());
  int total = options.warmup + options.steps;
  for (int step = 1; step <= total; ++step) {
    if (options.swap_plan && step == options.swap_after + 1) {
      std::string readError;
      std::unique_ptr<crosspipe_plan, void (*)(crosspipe_plan *)> next(
          readPlanFile(options.swap_plan, level, readError),
          crosspipe_plan_free);
      bool good = run->executor().agree(next != nullptr);
      if (!good || !run->swap(next.get(), error)) {
        report(std::string("--swap-plan ") + options.swap_plan + ": " +
               (next ? error
                     : readError.empty() ? "another process could not read it"
                                         : readError));
        std::string ignored;
        run->finish(ignored);
        return 1;
      }
    }
    if (!run->step(step > options.warmup, error)) {
      report(error);
      std::string ignored;
      run->finish(ignored);
      return 1;
    }
  }
  std::string reportError;
  if (cuda->reports() && !options.quiet)
    std::printf("crosspipe-run: host issue %.3f ms per step (mean of %d)\n",
                cuda->meanIssueMs(), total);
  bool wrote = cuda->writeReport(reportError);
  if (!run->finish(error)) {
    report(error);
    return 1;
  }
  if (!wrote) {
    report(reportError);
    return 1;
  }
  return 0;
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
