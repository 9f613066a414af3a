//===- Resources.cpp - Streams, events, buffer slots and delay lanes ------===//
//
// crosspipe_init creates everything a step uses up front, so that
// crosspipe_plan_step only enqueues: the streams of each device this
// process runs, a stream and a delay lane per link, the events this process
// owns, every buffer's slots with their tag trailers, and the step's own
// scratch (the tag error record, the control stream, the origin event and
// the buffer that times are gathered in). A failure stops the run naming
// what could not be created; freeResources releases the device memory when
// the run finishes.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <cstdio>
#include <string>

using namespace crosspipe::rt;

namespace {
size_t alignUp(size_t value, size_t to) { return (value + to - 1) / to * to; }

void createDeviceStreams(crosspipe_runtime *rt, int lowPriority,
                         int highPriority) {
  const crosspipe_plan_desc &desc = rt->desc;
  rt->streams.resize(desc.devices);
  for (int d = 0; d < desc.devices; ++d) {
    if (!rt->owns(d))
      continue;
    // Communication streams get the high priority, so a spin or a copy
    // never waits for compute to yield an SM. The emulation moves data on
    // link streams and needs only compute and dp per device.
    for (int k = 0; k < CROSSPIPE_NUM_STREAMS; ++k) {
      if (rt->emulate && k != CROSSPIPE_COMPUTE && k != CROSSPIPE_DP)
        continue;
      cudaOrDie(rt,
                cudaStreamCreateWithPriority(
                    &rt->streams[d][k], cudaStreamNonBlocking,
                    k == CROSSPIPE_COMPUTE ? lowPriority : highPriority),
                "creating the streams of device " + std::to_string(d));
    }
  }
}

/// A stream per link (emulation only: it carries the link's copies) and a
/// delay lane per link, with a stamp for every transfer of a step.
void createLinks(crosspipe_runtime *rt, int highPriority) {
  const crosspipe_plan_desc &desc = rt->desc;
  for (size_t l = 0; l < desc.links.size(); ++l) {
    cudaStream_t s = nullptr;
    if (rt->emulate)
      cudaOrDie(
          rt,
          cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, highPriority),
          "creating the stream of link " + desc.links[l]);
    rt->linkStreams.push_back(s);
    DelayLane lane;
    lane.capacity = int(desc.transfers.size()) + 1;
    cudaOrDie(rt,
              cudaStreamCreateWithPriority(&lane.stream, cudaStreamNonBlocking,
                                           highPriority),
              "creating the delay lane of link " + desc.links[l]);
    cudaOrDie(rt, cudaEventCreateWithFlags(&lane.ready, cudaEventDisableTiming),
              "creating a delay-lane event");
    cudaOrDie(rt, cudaMalloc(&lane.stamps, sizeof(uint64_t) * lane.capacity),
              "allocating delay-lane stamps");
    rt->lanes.push_back(lane);
  }
}

/// Counts the streams created (plus the control stream) against the GPU's
/// hardware queues.
void warnSharedQueues(const crosspipe_runtime *rt) {
  int streams = 1;
  for (auto &list : rt->streams)
    for (cudaStream_t st : list)
      streams += st != nullptr;
  for (size_t l = 0; l < rt->lanes.size(); ++l)
    streams += 1 + (rt->linkStreams[l] != nullptr);
  if (streams > 32)
    std::fprintf(stderr,
                 "crosspipe: warning: %d streams share the GPU's 32 hardware "
                 "queues; unrelated streams may wait on each other\n",
                 streams);
}

void createEvents(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  rt->events.assign(desc.eventDevice.size(), nullptr);
  for (size_t e = 0; e < desc.eventDevice.size(); ++e)
    if (rt->owns(desc.eventDevice[e]))
      cudaOrDie(rt, cudaEventCreate(&rt->events[e]), "creating events");
}

/// Allocates and clears the slots of the buffers this process owns; returns
/// the bytes allocated.
size_t allocateBuffers(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  size_t total = 0;
  rt->buffers.resize(desc.buffers.size());
  for (size_t i = 0; i < desc.buffers.size(); ++i) {
    const crosspipe_plan_desc::Buffer &d = desc.buffers[i];
    if (!rt->owns(d.device))
      continue;
    BufferMemory &b = rt->buffers[i];
    // Messages always move their full size; a stash or a parameter
    // gradient shrinks to its tag when the stages do not touch it.
    bool message = d.role == CROSSPIPE_ACT || d.role == CROSSPIPE_GRAD;
    b.payload = message || rt->options.full_buffers ? d.bytes : 0;
    b.tagOffset = alignUp(b.payload, kTagBytes);
    b.stride = b.tagOffset + kTagBytes;
    b.transferBytes = message ? b.stride : 0;
    size_t bytes = b.stride * size_t(d.slots);
    cudaError_t status = cudaMalloc(&b.base, bytes);
    if (status != cudaSuccess)
      fail(rt, "allocating buffer " + d.name + " of device " +
                   std::to_string(d.device) + " (" +
                   std::to_string(bytes >> 20) + " MiB, " +
                   std::to_string(total >> 20) +
                   " MiB allocated before; try --tag-buffers): " +
                   cudaGetErrorString(status));
    cudaOrDie(rt, cudaMemset(b.base, 0, bytes), "clearing " + d.name);
    total += bytes;
  }
  return total;
}

/// What crosspipe_run_step itself needs: the tag error record, the control
/// stream and origin event, and (NCCL) the buffer that times are summed in.
void allocateStepScratch(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  cudaOrDie(rt, cudaMalloc(&rt->tagError, sizeof(TagError)),
            "allocating the tag error record");
  cudaOrDie(rt, cudaMemset(rt->tagError, 0, sizeof(TagError)),
            "clearing the tag error record");
  cudaOrDie(rt, cudaStreamCreateWithFlags(&rt->control, cudaStreamNonBlocking),
            "creating the control stream");
  cudaOrDie(rt, cudaEventCreate(&rt->origin), "creating the origin event");
  size_t records =
      desc.blocks.size() + desc.transfers.size() + desc.reduces.size();
  if (!rt->emulate)
    cudaOrDie(rt, cudaMalloc(&rt->gather, sizeof(double) * 2 * records),
              "allocating the timing buffer");
}
} // namespace

void crosspipe::rt::allocateResources(crosspipe_runtime *rt) {
  int lowPriority = 0, highPriority = 0;
  cudaOrDie(rt, cudaDeviceGetStreamPriorityRange(&lowPriority, &highPriority),
            "stream priorities");
  createDeviceStreams(rt, lowPriority, highPriority);
  createLinks(rt, highPriority);
  warnSharedQueues(rt);
  createEvents(rt);
  size_t total = allocateBuffers(rt);
  allocateStepScratch(rt);
  std::fprintf(stderr, "crosspipe: %s: %zu MiB of buffers on GPU %d\n",
               rt->emulate ? "emulation" : "this rank", total >> 20, rt->gpu);
}

void crosspipe::rt::freeResources(crosspipe_runtime *rt) {
  for (BufferMemory &b : rt->buffers)
    if (b.base)
      cudaFree(b.base);
  for (DelayLane &lane : rt->lanes)
    cudaFree(lane.stamps);
  cudaFree(rt->tagError);
  cudaFree(rt->gather);
}
