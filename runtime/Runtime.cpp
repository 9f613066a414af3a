//===- Runtime.cpp - A run's life: set-up, finish and errors --------------===//
//
// crosspipe_init collects the plan from crosspipe_plan_describe, chooses
// the time scale, places this process (one GPU and pipeline device per rank
// on the NCCL backend, every device on one GPU when emulating), allocates
// every stream, event, buffer slot and delay lane (Resources.cpp) and boots
// NCCL (Bootstrap.cpp). crosspipe_finish writes the trace, the predicted
// trace and the summary, prints the measured step against the simulated
// one, and releases the communicators and device memory. fail() is how
// every part of the runtime stops a run: it aborts the world communicator
// first so that peers blocked in NCCL do not hang.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace crosspipe::rt;

namespace {
crosspipe_runtime *currentRuntime = nullptr;
} // namespace

crosspipe_runtime *crosspipe::rt::current() { return currentRuntime; }

void crosspipe::rt::fail(const crosspipe_runtime *rt, const std::string &what) {
  if (rt && !rt->emulate)
    std::fprintf(stderr, "crosspipe: rank %d: error: %s\n", rt->rank,
                 what.c_str());
  else
    std::fprintf(stderr, "crosspipe: error: %s\n", what.c_str());
  std::fflush(stderr);
  // Peers blocked in NCCL calls would hang; abort the communicators first.
  if (rt && rt->world)
    ncclCommAbort(rt->world);
  std::exit(1);
}

void crosspipe::rt::cudaOrDie(const crosspipe_runtime *rt, cudaError_t status,
                              const std::string &what) {
  if (status != cudaSuccess)
    fail(rt, what + ": " + cudaGetErrorString(status));
}

double crosspipe::rt::modelledMs(const crosspipe_runtime *rt, char kind,
                                 int chunk) {
  const crosspipe_plan_desc::Chunk &c = rt->desc.chunkList.at(chunk);
  switch (kind) {
  case 'F':
    return c.forwardMs;
  case 'B':
    return c.backwardMs;
  case 'D':
    return c.dgradMs;
  case 'W':
    return c.wgradMs;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Set-up
//===----------------------------------------------------------------------===//

/// Chooses the GPU, and on the NCCL backend this rank's pipeline device and
/// replica, after checking the launch matches the plan.
static void placeProcess(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  const crosspipe_options *options = &rt->options;
  if (rt->emulate) {
    rt->gpu = options->gpu;
    cudaOrDie(rt, cudaSetDevice(rt->gpu),
              "selecting GPU " + std::to_string(rt->gpu));
    return;
  }
  processRank(rt->rank, rt->worldSize, rt->localRank);
  int expected = desc.devices * desc.dpDegree;
  if (rt->worldSize != expected)
    fail(rt, "the plan needs " + std::to_string(expected) + " processes (" +
                 std::to_string(desc.devices) + " devices x " +
                 std::to_string(desc.dpDegree) + " replicas), but " +
                 std::to_string(rt->worldSize) + " were launched");
  rt->device = rt->rank % desc.devices;
  rt->replica = rt->rank / desc.devices;
  int gpus = 0;
  cudaOrDie(rt, cudaGetDeviceCount(&gpus), "counting GPUs");
  if (gpus < 1)
    fail(rt, "no GPU visible");
  rt->gpu = rt->localRank % gpus;
  cudaOrDie(rt, cudaSetDevice(rt->gpu),
            "selecting GPU " + std::to_string(rt->gpu));
}

extern "C" crosspipe_runtime *crosspipe_init(const crosspipe_options *options) {
  // Streams beyond the device's hardware queues alias onto them, and a
  // stream waiting on an event then stalls whatever shares its queue. Ask
  // for the most queues before the CUDA runtime starts (a user's setting
  // wins).
  setenv("CUDA_DEVICE_MAX_CONNECTIONS", "32", /*overwrite=*/0);
  auto *rt = new crosspipe_runtime();
  rt->options = *options;
  crosspipe_plan_describe(&rt->desc);
  const crosspipe_plan_desc &desc = rt->desc;
  rt->emulate = desc.backend == CROSSPIPE_BACKEND_EMULATE;
  currentRuntime = rt;

  rt->scale = options->time_scale > 0 ? options->time_scale : 1;
  if (options->step_ms > 0 && desc.makespanMs > 0)
    rt->scale = options->step_ms / desc.makespanMs;

  placeProcess(rt);
  for (const crosspipe_plan_desc::Record &b : desc.blocks)
    if (rt->owns(b.device))
      ++rt->ownedBlocks;
  allocateResources(rt);
  if (!rt->emulate)
    bootNccl(rt);
  return rt;
}

//===----------------------------------------------------------------------===//
// Finishing
//===----------------------------------------------------------------------===//

/// Rank 0's outputs: the traces and summary asked for, and one line that
/// compares the mean measured step with the scaled simulated one.
static void writeOutputs(const crosspipe_runtime *rt) {
  if (rt->options.trace && !rt->lastTimes.empty())
    writeTrace(rt, rt->options.trace, rt->lastTimes, rt->makespans.back(),
               /*measured=*/true);
  if (rt->options.trace_predicted) {
    std::vector<double> predicted;
    for (const auto *list :
         {&rt->desc.blocks, &rt->desc.transfers, &rt->desc.reduces})
      for (const auto &r : *list) {
        predicted.push_back(r.startMs * rt->scale);
        predicted.push_back(r.endMs * rt->scale);
      }
    writeTrace(rt, rt->options.trace_predicted, predicted,
               rt->desc.makespanMs * rt->scale, /*measured=*/false);
  }
  if (rt->options.summary)
    writeSummary(rt, rt->options.summary);
  if (!rt->makespans.empty()) {
    double mean = 0;
    for (double m : rt->makespans)
      mean += m;
    mean /= rt->makespans.size();
    double predicted = rt->desc.makespanMs * rt->scale;
    std::printf("crosspipe: %s (%s, %s): measured step %.3f ms, simulated "
                "%.3f ms (x%.3f), time scale %g, host issue %.2f us per "
                "block\n",
                rt->desc.name.c_str(), rt->desc.algorithm.c_str(),
                rt->emulate ? "emulate" : "nccl", mean, predicted,
                predicted > 0 ? mean / predicted : 0.0, rt->scale,
                rt->issueUsPerBlock());
  }
}

extern "C" int crosspipe_finish(crosspipe_runtime *rt) {
  if (rt->rank == 0)
    writeOutputs(rt);
  closeNccl(rt);
  freeResources(rt);
  currentRuntime = nullptr;
  delete rt;
  return 0;
}
