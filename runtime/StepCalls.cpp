//===- StepCalls.cpp - What crosspipe_plan_step calls ---------------------===//
//
// The generated step reaches the runtime's state only through these: the
// device's streams, events, buffer slots and communicators, by the ids the
// plan gave them (a lookup that fails names what this process does not
// run); checks that stop the run naming the failing block; the tag written
// after a producer and checked before a consumer; and the modelled time of
// emulated links and all-reduces, as spin kernels and delay lanes. None of
// them blocks the host: a step only enqueues.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <string>

using namespace crosspipe::rt;

extern "C" {

//===----------------------------------------------------------------------===//
// Streams, events, slots and communicators
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

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

void crosspipe_check_cuda(crosspipe_runtime *rt, cudaError_t status,
                          const char *what) {
  if (status != cudaSuccess)
    fail(rt, std::string(what) + ": " + cudaGetErrorString(status));
}

void crosspipe_check_nccl(crosspipe_runtime *rt, ncclResult_t status,
                          const char *what) {
  if (status != ncclSuccess && status != ncclInProgress)
    fail(rt, std::string(what) + ": " + ncclGetErrorString(status));
}

void crosspipe_check_stage(crosspipe_runtime *rt, int status,
                           const char *what) {
  if (status != 0)
    fail(rt,
         std::string(what) + ": the stage returned " + std::to_string(status));
}

//===----------------------------------------------------------------------===//
// Tags
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Modelled time: spins and delay lanes
//===----------------------------------------------------------------------===//

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
