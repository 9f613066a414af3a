//===- Runtime.cpp - Set-up, accessors and the step loop ------------------===//
//
// The runtime side of a generated plan. crosspipe_init collects the plan
// from crosspipe_plan_describe, boots NCCL (or the one-GPU emulation) and
// allocates every stream, event, buffer slot and delay lane up front, so
// crosspipe_plan_step only enqueues. crosspipe_run_step aligns the devices
// on a common origin event, times the host's issue, waits, checks the tags
// and reads every block's start and end events back as times.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace crosspipe::rt;

namespace {
crosspipe_runtime *currentRuntime = nullptr;

size_t alignUp(size_t value, size_t to) { return (value + to - 1) / to * to; }

std::string errorName(cudaError_t status) { return cudaGetErrorString(status); }

void cudaOrDie(const crosspipe_runtime *rt, cudaError_t status,
               const std::string &what) {
  if (status != cudaSuccess)
    fail(rt, what + ": " + errorName(status));
}

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
} // namespace

crosspipe_runtime *crosspipe::rt::current() { return currentRuntime; }

void crosspipe::rt::fail(const crosspipe_runtime *rt,
                         const std::string &what) {
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
// Describing a plan
//===----------------------------------------------------------------------===//

extern "C" {

void crosspipe_desc_plan(crosspipe_plan_desc *desc, const char *name,
                         const char *algorithm, int backend, int devices,
                         int chunks, int microbatches, int dp_degree,
                         double makespan_ms, double lower_bound_ms) {
  desc->name = name;
  desc->algorithm = algorithm;
  desc->backend = backend;
  desc->devices = devices;
  desc->chunks = chunks;
  desc->microbatches = microbatches;
  desc->dpDegree = dp_degree;
  desc->makespanMs = makespan_ms;
  desc->lowerBoundMs = lower_bound_ms;
  desc->chunkList.resize(chunks);
}

void crosspipe_desc_chunk(crosspipe_plan_desc *desc, int chunk, int device,
                          double forward_ms, double backward_ms,
                          double dgrad_ms, double wgrad_ms,
                          double allreduce_ms) {
  desc->chunkList.at(chunk) = {device,   forward_ms, backward_ms,
                               dgrad_ms, wgrad_ms,   allreduce_ms};
}

void crosspipe_desc_buffer(crosspipe_plan_desc *desc, int id, int device,
                           const char *name, int role, int chunk, int slots,
                           size_t bytes) {
  if (int(desc->buffers.size()) <= id)
    desc->buffers.resize(id + 1);
  desc->buffers[id] = {device, name, role, chunk, slots, bytes};
}

void crosspipe_desc_events(crosspipe_plan_desc *desc, int device, int first,
                           int count) {
  if (int(desc->eventDevice.size()) < first + count)
    desc->eventDevice.resize(first + count, -1);
  for (int i = first; i < first + count; ++i)
    desc->eventDevice[i] = device;
}

void crosspipe_desc_channel(crosspipe_plan_desc *desc, int id, int src,
                            int dst, int role) {
  if (int(desc->channels.size()) <= id)
    desc->channels.resize(id + 1);
  desc->channels[id] = {src, dst, role};
}

void crosspipe_desc_link(crosspipe_plan_desc *desc, int id,
                         const char *name) {
  if (int(desc->links.size()) <= id)
    desc->links.resize(id + 1);
  desc->links[id] = name;
}

void crosspipe_desc_block(crosspipe_plan_desc *desc, int id, int device,
                          char kind, int chunk, int mb, int part, int parts,
                          int start_event, int end_event, double start_ms,
                          double end_ms) {
  if (int(desc->blocks.size()) <= id)
    desc->blocks.resize(id + 1);
  crosspipe_plan_desc::Record &r = desc->blocks[id];
  r.device = device;
  r.kind = kind;
  r.chunk = chunk;
  r.mb = mb;
  r.part = part;
  r.parts = parts;
  r.startEvent = start_event;
  r.endEvent = end_event;
  r.startMs = start_ms;
  r.endMs = end_ms;
}

void crosspipe_desc_transfer(crosspipe_plan_desc *desc, int id, int role,
                             int chunk, int mb, int src, int dst, int link,
                             int start_event, int end_event, double start_ms,
                             double end_ms) {
  if (int(desc->transfers.size()) <= id)
    desc->transfers.resize(id + 1);
  crosspipe_plan_desc::Record &r = desc->transfers[id];
  r.device = src;
  r.kind = 'x';
  r.role = role;
  r.chunk = chunk;
  r.mb = mb;
  r.src = src;
  r.dst = dst;
  r.link = link;
  r.startEvent = start_event;
  r.endEvent = end_event;
  r.startMs = start_ms;
  r.endMs = end_ms;
}

void crosspipe_desc_allreduce(crosspipe_plan_desc *desc, int id, int chunk,
                              int device, int start_event, int end_event,
                              double start_ms, double end_ms) {
  if (int(desc->reduces.size()) <= id)
    desc->reduces.resize(id + 1);
  crosspipe_plan_desc::Record &r = desc->reduces[id];
  r.device = device;
  r.kind = 'r';
  r.chunk = chunk;
  r.startEvent = start_event;
  r.endEvent = end_event;
  r.startMs = start_ms;
  r.endMs = end_ms;
}

//===----------------------------------------------------------------------===//
// Accessors and checks used by crosspipe_plan_step
//===----------------------------------------------------------------------===//

int crosspipe_device(crosspipe_runtime *rt) { return rt->device; }

cudaStream_t crosspipe_stream(crosspipe_runtime *rt, int device, int kind) {
  if (!rt->owns(device) || kind < 0 || kind >= CROSSPIPE_NUM_STREAMS ||
      !rt->streams[device][kind])
    fail(rt, "stream " + std::to_string(kind) + " of device " +
                 std::to_string(device) + " is not run by this process");
  return rt->streams[device][kind];
}

cudaStream_t crosspipe_link_stream(crosspipe_runtime *rt, int link) {
  return rt->linkStreams.at(link);
}

cudaEvent_t crosspipe_event(crosspipe_runtime *rt, int id) {
  cudaEvent_t event = rt->events.at(id);
  if (!event)
    fail(rt, "event " + std::to_string(id) + " belongs to device " +
                 std::to_string(rt->desc.eventDevice[id]) +
                 ", not to this process");
  return event;
}

void *crosspipe_slot(crosspipe_runtime *rt, int buffer, int slot) {
  BufferMemory &b = rt->buffers.at(buffer);
  if (!b.base || slot < 0 || slot >= rt->desc.buffers[buffer].slots)
    fail(rt, "slot " + std::to_string(slot) + " of buffer " +
                 rt->desc.buffers[buffer].name + " is not allocated here");
  return b.base + size_t(slot) * b.stride;
}

size_t crosspipe_transfer_bytes(crosspipe_runtime *rt, int buffer) {
  return rt->buffers.at(buffer).transferBytes;
}

ncclComm_t crosspipe_channel_comm(crosspipe_runtime *rt, int channel) {
  ncclComm_t comm = rt->channelComms.at(channel);
  if (!comm)
    fail(rt, "channel " + std::to_string(channel) +
                 " does not connect this process's device");
  return comm;
}

ncclComm_t crosspipe_dp_comm(crosspipe_runtime *rt) {
  if (!rt->dp)
    fail(rt, "no data-parallel communicator (one replica)");
  return rt->dp;
}

size_t crosspipe_dp_count(crosspipe_runtime *rt, int buffer) {
  return rt->buffers.at(buffer).payload / 2;
}

void crosspipe_check_cuda(crosspipe_runtime *rt, cudaError_t status,
                          const char *what) {
  if (status != cudaSuccess)
    fail(rt, std::string(what) + ": " + errorName(status));
}

void crosspipe_check_nccl(crosspipe_runtime *rt, ncclResult_t status,
                          const char *what) {
  if (status != ncclSuccess && status != ncclInProgress)
    fail(rt, std::string(what) + ": " + ncclGetErrorString(status));
}

void crosspipe_check_stage(crosspipe_runtime *rt, int status,
                           const char *what) {
  if (status != 0)
    fail(rt, std::string(what) + ": the stage returned " +
                 std::to_string(status));
}

cudaError_t crosspipe_tag_write(crosspipe_runtime *rt, int buffer, int slot,
                                int role, int chunk, int mb,
                                cudaStream_t stream) {
  BufferMemory &b = rt->buffers.at(buffer);
  auto *tag = reinterpret_cast<Tag *>(
      static_cast<char *>(crosspipe_slot(rt, buffer, slot)) + b.tagOffset);
  return launchTagWrite(tag, role, chunk, mb, rt->step, stream);
}

cudaError_t crosspipe_tag_check(crosspipe_runtime *rt, int buffer, int slot,
                                int role, int chunk, int mb, int block,
                                cudaStream_t stream) {
  BufferMemory &b = rt->buffers.at(buffer);
  auto *tag = reinterpret_cast<const Tag *>(
      static_cast<char *>(crosspipe_slot(rt, buffer, slot)) + b.tagOffset);
  return launchTagCheck(tag, role, chunk, mb, rt->step, block, buffer, slot,
                        rt->tagError, stream);
}

cudaError_t crosspipe_spin(crosspipe_runtime *rt, double model_ms,
                           cudaStream_t stream) {
  if (model_ms <= 0)
    return cudaSuccess;
  return launchSpin(uint64_t(model_ms * rt->scale * 1e6), stream);
}

cudaError_t crosspipe_wan_spin(crosspipe_runtime *rt, double model_ms,
                               cudaStream_t stream) {
  if (!rt->options.emulate_wan)
    return cudaSuccess;
  return crosspipe_spin(rt, model_ms, stream);
}

cudaError_t crosspipe_record_arrival(crosspipe_runtime *rt, cudaEvent_t event,
                                     cudaStream_t stream, int lane,
                                     double latency_ms) {
  bool delay = latency_ms > 0 && (rt->emulate || rt->options.emulate_wan);
  if (!delay)
    return cudaEventRecord(event, stream);
  DelayLane &l = rt->lanes.at(lane);
  if (l.next >= l.capacity)
    fail(rt, "delay lane " + std::to_string(lane) + " overflows");
  uint64_t *stamp = l.stamps + l.next++;
  cudaError_t status = launchStamp(stamp, stream);
  if (status == cudaSuccess)
    status = cudaEventRecord(l.ready, stream);
  if (status == cudaSuccess)
    status = cudaStreamWaitEvent(l.stream, l.ready, 0);
  if (status == cudaSuccess)
    status = launchWaitUntil(stamp, uint64_t(latency_ms * rt->scale * 1e6),
                             l.stream);
  if (status == cudaSuccess)
    status = cudaEventRecord(event, l.stream);
  return status;
}

} // extern "C"

//===----------------------------------------------------------------------===//
// Set-up
//===----------------------------------------------------------------------===//

static void allocate(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  int lowPriority = 0, highPriority = 0;
  cudaOrDie(rt, cudaDeviceGetStreamPriorityRange(&lowPriority, &highPriority),
            "stream priorities");
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
  for (size_t l = 0; l < desc.links.size(); ++l) {
    cudaStream_t s = nullptr;
    if (rt->emulate)
      cudaOrDie(rt,
                cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking,
                                             highPriority),
                "creating the stream of link " + desc.links[l]);
    rt->linkStreams.push_back(s);
    DelayLane lane;
    lane.capacity = int(desc.transfers.size()) + 1;
    cudaOrDie(rt,
              cudaStreamCreateWithPriority(&lane.stream,
                                           cudaStreamNonBlocking,
                                           highPriority),
              "creating the delay lane of link " + desc.links[l]);
    cudaOrDie(rt, cudaEventCreateWithFlags(&lane.ready,
                                           cudaEventDisableTiming),
              "creating a delay-lane event");
    cudaOrDie(rt,
              cudaMalloc(&lane.stamps, sizeof(uint64_t) * lane.capacity),
              "allocating delay-lane stamps");
    rt->lanes.push_back(lane);
  }
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
  rt->events.assign(desc.eventDevice.size(), nullptr);
  for (size_t e = 0; e < desc.eventDevice.size(); ++e)
    if (rt->owns(desc.eventDevice[e]))
      cudaOrDie(rt, cudaEventCreate(&rt->events[e]), "creating events");

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
                   errorName(status));
    cudaOrDie(rt, cudaMemset(b.base, 0, bytes), "clearing " + d.name);
    total += bytes;
  }
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
  std::fprintf(stderr, "crosspipe: %s: %zu MiB of buffers on GPU %d\n",
               rt->emulate ? "emulation" : "this rank", total >> 20, rt->gpu);
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

  if (rt->emulate) {
    rt->gpu = options->gpu;
    cudaOrDie(rt, cudaSetDevice(rt->gpu), "selecting GPU " +
                                              std::to_string(rt->gpu));
  } else {
    processRank(rt->rank, rt->worldSize, rt->localRank);
    int expected = desc.devices * desc.dpDegree;
    if (rt->worldSize != expected)
      fail(rt, "the plan needs " + std::to_string(expected) +
                   " processes (" + std::to_string(desc.devices) +
                   " devices x " + std::to_string(desc.dpDegree) +
                   " replicas), but " + std::to_string(rt->worldSize) +
                   " were launched");
    rt->device = rt->rank % desc.devices;
    rt->replica = rt->rank / desc.devices;
    int gpus = 0;
    cudaOrDie(rt, cudaGetDeviceCount(&gpus), "counting GPUs");
    if (gpus < 1)
      fail(rt, "no GPU visible");
    rt->gpu = rt->localRank % gpus;
    cudaOrDie(rt, cudaSetDevice(rt->gpu), "selecting GPU " +
                                              std::to_string(rt->gpu));
  }
  for (const crosspipe_plan_desc::Record &b : desc.blocks)
    if (rt->owns(b.device))
      ++rt->ownedBlocks;
  allocate(rt);
  if (!rt->emulate)
    bootNccl(rt);
  return rt;
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

static void reportTagError(crosspipe_runtime *rt) {
  TagError error;
  cudaOrDie(rt,
            cudaMemcpy(&error, rt->tagError, sizeof(error),
                       cudaMemcpyDeviceToHost),
            "reading the tag error record");
  if (!error.flag)
    return;
  const crosspipe_plan_desc::Record &b = rt->desc.blocks.at(error.block);
  const crosspipe_plan_desc::Buffer &buf = rt->desc.buffers.at(error.buffer);
  std::string block = std::string(1, b.kind) + " chunk " +
                      std::to_string(b.chunk) + " mb " +
                      std::to_string(b.mb);
  std::string found =
      error.found.magic == kTagMagic
          ? std::string(roleName(error.found.role)) + " chunk " +
                std::to_string(error.found.chunk) + " mb " +
                std::to_string(error.found.mb) + " of step " +
                std::to_string(error.found.step)
          : std::string("no tag (never written)");
  fail(rt, "tag mismatch at device " + std::to_string(b.device) + ", " +
               block + ": slot " + std::to_string(error.slot) + " of " +
               buf.name + " holds " + found + ", expected " +
               roleName(error.role) + " chunk " + std::to_string(error.chunk) +
               " mb " + std::to_string(error.mb) + " of step " +
               std::to_string(error.step) +
               " (a misrouted or misordered transfer)");
}

/// [start, end] of every record relative to the origin; 0 for records of
/// other processes, which the NCCL backend then sums in.
static std::vector<double> collectTimes(crosspipe_runtime *rt) {
  const crosspipe_plan_desc &desc = rt->desc;
  std::vector<double> times;
  auto add = [&](const crosspipe_plan_desc::Record &r) {
    float start = 0, end = 0;
    if (rt->owns(r.device) && rt->replica == 0) {
      cudaOrDie(rt, cudaEventElapsedTime(&start, rt->origin,
                                         rt->events[r.startEvent]),
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
  ncclResult_t status = ncclAllReduce(rt->gather, rt->gather, times.size(),
                                      ncclDouble, ncclSum, rt->world,
                                      rt->control);
  if (status != ncclSuccess)
    fail(rt, std::string("gathering block times: ") +
                 ncclGetErrorString(status));
  cudaOrDie(rt, cudaStreamSynchronize(rt->control), "gathering block times");
  cudaOrDie(rt,
            cudaMemcpy(times.data(), rt->gather, sizeof(double) * times.size(),
                       cudaMemcpyDeviceToHost),
            "reading gathered times");
  return times;
}

/// The simulator's definition: from the first F on device 0 to the last
/// end of any block or all-reduce.
static double makespanOf(const crosspipe_runtime *rt,
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

extern "C" int crosspipe_run_step(crosspipe_runtime *rt, int measured) {
  ++rt->step;
  for (DelayLane &lane : rt->lanes)
    lane.next = 0;
  if (!rt->emulate) {
    // Align the ranks: every rank's origin is the end of one collective.
    ncclResult_t status = ncclAllReduce(rt->gather, rt->gather, 1, ncclDouble,
                                        ncclSum, rt->world, rt->control);
    if (status != ncclSuccess)
      fail(rt, std::string("aligning the step: ") +
                   ncclGetErrorString(status));
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

extern "C" int crosspipe_finish(crosspipe_runtime *rt) {
  bool writer = rt->rank == 0;
  if (writer && rt->options.trace && !rt->lastTimes.empty())
    writeTrace(rt, rt->options.trace, rt->lastTimes, rt->makespans.back(),
               /*measured=*/true);
  if (writer && rt->options.trace_predicted) {
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
  if (writer && rt->options.summary)
    writeSummary(rt, rt->options.summary);
  if (writer && !rt->makespans.empty()) {
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
  for (ncclComm_t comm : rt->channelComms)
    if (comm)
      ncclCommDestroy(comm);
  if (rt->dp)
    ncclCommDestroy(rt->dp);
  if (rt->world)
    ncclCommDestroy(rt->world);
  for (BufferMemory &b : rt->buffers)
    if (b.base)
      cudaFree(b.base);
  for (DelayLane &lane : rt->lanes)
    cudaFree(lane.stamps);
  cudaFree(rt->tagError);
  cudaFree(rt->gather);
  currentRuntime = nullptr;
  delete rt;
  return 0;
}
