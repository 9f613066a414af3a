//===- Step.cpp - Running one step and reading its times back -------------===//
//
// crosspipe_run_step aligns the devices on a common origin event (on the
// NCCL backend, the end of one world all-reduce), times the host while
// crosspipe_plan_step enqueues, waits for the GPU, reports the first tag
// mismatch the check kernels recorded, and reads every record's start and
// end events back relative to the origin. Each rank reads only its own
// records; one all-reduce sums them so every rank holds the whole step.
// The makespan follows the simulator's definition, so measured and
// predicted steps compare directly.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

using namespace crosspipe::rt;

namespace {
const char *roleName(int role) {
  switch (role) {
  case CROSSPIPE_STASH:
    return "stash";
  case CROSSPIPE_ACT:
    return "act";
  case CROSSPIPE_GRAD:
    return "grad";
  case CROSSPIPE_PARAM_GRAD:
    return "param_grad";
  }
  return "?";
}

void reportTagError(crosspipe_runtime *rt) {
  TagError error;
  cudaOrDie(
      rt,
      cudaMemcpy(&error, rt->tagError, sizeof(error), cudaMemcpyDeviceToHost),
      "reading the tag error record");
  if (!error.flag)
    return;
  const crosspipe_plan_desc::Record &b = rt->desc.blocks.at(error.block);
  const crosspipe_plan_desc::Buffer &buf = rt->desc.buffers.at(error.buffer);
  std::string block = std::string(1, b.kind) + " chunk " +
                      std::to_string(b.chunk) + " mb " + std::to_string(b.mb);
  std::string found = error.found.magic == kTagMagic
                          ? std::string(roleName(error.found.role)) +
                                " chunk " + std::to_string(error.found.chunk) +
                                " mb " + std::to_string(error.found.mb) +
                                " of step " + std::to_string(error.found.step)
                          : std::string("no tag (never written)");
  fail(rt, "tag mismatch at device " + std::to_string(b.device) + ", " + block +
               ": slot " + std::to_string(error.slot) + " of " + buf.name +
               " holds " + found + ", expected " + roleName(error.role) +
               " chunk " + std::to_string(error.chunk) + " mb " +
               std::to_string(error.mb) + " of step " +
               std::to_string(error.step) +
               " (a misrouted or misordered transfer)");
}

/// [start, end] of every record relative to the origin; 0 for records of
/// other processes, which the NCCL backend then sums in.
std::vector<double> collectTimes(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  std::vector<double> times;
  auto add = [&](const crosspipe_plan_desc::Record &r) {
    float start = 0, end = 0;
    if (rt->owns(r.device) && rt->replica == 0) {
      cudaOrDie(
          rt,
          cudaEventElapsedTime(&start, rt->origin, rt->events[r.startEvent]),
          "reading block times");
      cudaOrDie(rt,
                cudaEventElapsedTime(&end, rt->origin, rt->events[r.endEvent]),
                "reading block times");
    }
    times.push_back(start);
    times.push_back(end);
  };
  for (const auto &r : desc.blocks)
    add(r);
  for (const auto &r : desc.transfers)
    add(r);
  for (const auto &r : desc.reduces)
    add(r);
  if (rt->emulate)
    return times;
  cudaOrDie(rt,
            cudaMemcpy(rt->gather, times.data(), sizeof(double) * times.size(),
                       cudaMemcpyHostToDevice),
            "staging block times");
  ncclResult_t status =
      ncclAllReduce(rt->gather, rt->gather, times.size(), ncclDouble, ncclSum,
                    rt->world, rt->control);
  if (status != ncclSuccess)
    fail(rt,
         std::string("gathering block times: ") + ncclGetErrorString(status));
  cudaOrDie(rt, cudaStreamSynchronize(rt->control), "gathering block times");
  cudaOrDie(rt,
            cudaMemcpy(times.data(), rt->gather, sizeof(double) * times.size(),
                       cudaMemcpyDeviceToHost),
            "reading gathered times");
  return times;
}

/// The simulator's definition: from the first F on device 0 to the last
/// end of any block or all-reduce.
double makespanOf(const crosspipe_runtime *rt,
                  const std::vector<double> &times) {
  const crosspipe_plan_desc &desc = rt->desc;
  double origin = INFINITY, last = 0;
  for (size_t i = 0; i < desc.blocks.size(); ++i) {
    if (desc.blocks[i].device == 0 && desc.blocks[i].kind == 'F')
      origin = std::min(origin, times[2 * i]);
    last = std::max(last, times[2 * i + 1]);
  }
  size_t reduceBase = 2 * (desc.blocks.size() + desc.transfers.size());
  for (size_t i = 0; i < desc.reduces.size(); ++i)
    last = std::max(last, times[reduceBase + 2 * i + 1]);
  return origin == INFINITY ? last : last - origin;
}
} // namespace

extern "C" int crosspipe_run_step(crosspipe_runtime *rt, int measured) {
  ++rt->step;
  for (DelayLane &lane : rt->lanes)
    lane.next = 0;
  if (!rt->emulate) {
    // Align the ranks: every rank's origin is the end of one collective.
    ncclResult_t status = ncclAllReduce(rt->gather, rt->gather, 1, ncclDouble,
                                        ncclSum, rt->world, rt->control);
    if (status != ncclSuccess)
      fail(rt, std::string("aligning the step: ") + ncclGetErrorString(status));
  }
  cudaOrDie(rt, cudaEventRecord(rt->origin, rt->control), "origin event");
  for (auto &streams : rt->streams)
    for (cudaStream_t s : streams)
      if (s)
        cudaOrDie(rt, cudaStreamWaitEvent(s, rt->origin, 0), "origin wait");
  for (cudaStream_t s : rt->linkStreams)
    if (s)
      cudaOrDie(rt, cudaStreamWaitEvent(s, rt->origin, 0), "origin wait");

  auto begin = std::chrono::steady_clock::now();
  crosspipe_plan_step(rt);
  auto end = std::chrono::steady_clock::now();
  cudaOrDie(rt, cudaDeviceSynchronize(), "step " + std::to_string(rt->step));
  reportTagError(rt);

  std::vector<double> times = collectTimes(rt);
  if (!measured)
    return 0;
  rt->makespans.push_back(makespanOf(rt, times));
  rt->issueMs.push_back(
      std::chrono::duration<double, std::milli>(end - begin).count());
  rt->lastTimes = std::move(times);
  return 0;
}
