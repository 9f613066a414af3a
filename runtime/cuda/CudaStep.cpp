//===- CudaStep.cpp - One step on CUDA streams ----------------------------===//
//
// A step: the origin event on one stream and every other stream waiting on
// it (the release), then each action in the issue order (CudaExecutor.cpp)
// with its waits as cudaStreamWaitEvent on the waited action's end event,
// tag checks before consumers and tag writes after producers, start and end
// events around it; then the host polls for completion under the watchdog
// (no progress for its time fails the step naming what each stream waits
// for, and aborts the communicators), reads the first tag mismatch of the
// step, and converts the events into StepTimes.
//
//===----------------------------------------------------------------------===//

#include "cuda/CudaExecutor.h"
#include "crosspipe/Runtime/StageABI.h"
#include "host/MpiWorld.h"

#include <chrono>
#include <cmath>
#include <thread>

using namespace crosspipe::rt;
using namespace crosspipe::rt::cuda;

namespace {
using Clock = std::chrono::steady_clock;

uint64_t blockNs = 0;

int32_t stepTag(int step) { return 1 + (step - 1) % ((1 << 22) - 1); }

uint64_t pack(int role, int chunk, int mb, int step) {
  return (uint64_t(role & 3) << 62) | (uint64_t(chunk & 0xFFFFF) << 42) |
         (uint64_t(mb & 0xFFFFF) << 22) | uint64_t(stepTag(step) & 0x3FFFFF);
}

Tag unpack(uint64_t w) {
  Tag t;
  t.role = int32_t(w >> 62);
  t.chunk = int32_t((w >> 42) & 0xFFFFF);
  t.mb = int32_t((w >> 22) & 0xFFFFF);
  t.step = int32_t(w & 0x3FFFFF);
  return t;
}

uint64_t toNs(double ms, double scale) {
  double ns = ms * scale * 1e6;
  return ns > 0 && std::isfinite(ns) ? uint64_t(ns) : 0;
}

const char *whatName(int what) {
  switch (what) {
  case kWhatInput:
    return "input";
  case kWhatStash:
    return "stash";
  case kWhatMessage:
    return "message";
  case kWhatReceived:
    return "received";
  default:
    return "parameter gradient";
  }
}
} // namespace

uint64_t CudaExecutor::currentBlockNs() { return blockNs; }

extern "C" uint64_t crosspipe_cuda_block_ns(void) {
  return CudaExecutor::currentBlockNs();
}

bool CudaExecutor::waitFor(int d, int i, cudaStream_t stream,
                           std::string &error) {
  const ActionInfo &a = plan->info(d, i);
  const DeviceIndex &dev = plan->device(d);
  for (int k = 0; k < a.numWaits; ++k) {
    int j = dev.waits[a.firstWait + k];
    if (!cudaOk(cudaStreamWaitEvent(stream, endEv[d][j], 0),
                "cudaStreamWaitEvent at " + plan->where(d, i), error))
      return false;
  }
  return true;
}

bool CudaExecutor::check(int d, int i, int what, const SlotRef &slot,
                         uint64_t expected, uint64_t ignore,
                         cudaStream_t stream, std::string &error) {
  const Buffer &b = buffers[slot.buffer];
  return cudaOk(launchTagCheck(b.tagAt(slot.slot), expected, ignore, d, i,
                               what, slot.buffer, slot.slot, tagError, stream),
                "the tag check kernel at " + plan->where(d, i), error);
}

bool CudaExecutor::writeTag(const SlotRef &slot, uint64_t value,
                            cudaStream_t stream, std::string &error) {
  return cudaOk(launchTagWrite(buffers[slot.buffer].tagAt(slot.slot), value,
                               stream),
                "the tag write kernel", error);
}

bool CudaExecutor::issueCompute(int d, int i, int step, std::string &error) {
  const crosspipe_action &a = plan->action(d, i);
  const ActionInfo &info = plan->info(d, i);
  cudaStream_t s = deviceStreams[d][kComputeStream];
  if (!waitFor(d, i, s, error))
    return false;
  bool forward = a.op == CROSSPIPE_OP_F;
  int role = forward ? CROSSPIPE_ACT : CROSSPIPE_GRAD;
  if (info.input.valid() &&
      !check(d, i, kWhatInput, info.input,
             pack(role, forward ? a.chunk - 1 : a.chunk, a.mb, step), 0, s,
             error))
    return false;
  if (!forward && info.stash.valid() &&
      !check(d, i, kWhatStash, info.stash,
             pack(CROSSPIPE_STASH, a.chunk, a.mb, step), 0, s, error))
    return false;
  auto payload = [&](const SlotRef &r) -> void * {
    return r.valid() && buffers[r.buffer].payload
               ? buffers[r.buffer].payloadAt(r.slot)
               : nullptr;
  };
  if (!cudaOk(cudaEventRecord(startEv[d][i], s), "cudaEventRecord", error))
    return false;
  blockNs = toNs(info.modelMs, config.timeScale);
  int parts = a.parts > 0 ? a.parts : 1;
  typedef int (*Stage)(int32_t, int32_t, int32_t, int32_t, const void *,
                       void *, void *, void *, cudaStream_t);
  Stage stage = a.op == CROSSPIPE_OP_F   ? crosspipe_stage_forward
                : a.op == CROSSPIPE_OP_B ? crosspipe_stage_backward
                : a.op == CROSSPIPE_OP_D ? crosspipe_stage_dgrad
                                         : crosspipe_stage_wgrad;
  int rc = stage(a.chunk, a.mb, a.part, parts, payload(info.input),
                 payload(info.output), payload(info.stash),
                 payload(info.grads), s);
  if (rc != 0) {
    error = "the stage returned " + std::to_string(rc) + " at " +
            plan->where(d, i);
    return false;
  }
  // The stage's own launches: an error here is the stage's.
  if (!cudaOk(cudaGetLastError(), "the stage's launch at " + plan->where(d, i),
              error))
    return false;
  if (a.part + 1 >= parts) {
    if (info.output.valid() &&
        !writeTag(info.output,
                  pack(role, forward ? a.chunk : a.chunk - 1, a.mb, step), s,
                  error))
      return false;
    if (forward && info.stash.valid() &&
        !writeTag(info.stash, pack(CROSSPIPE_STASH, a.chunk, a.mb, step), s,
                  error))
      return false;
    if (info.grads.valid() &&
        !writeTag(info.grads, pack(CROSSPIPE_PARAM_GRAD, a.chunk, a.mb, step),
                  s, error))
      return false;
  }
  return cudaOk(cudaEventRecord(endEv[d][i], s), "cudaEventRecord", error);
}

namespace {
/// A call on a non-blocking communicator may return ncclInProgress; the
/// next call on it must wait until it is done.
bool ncclDone(ncclResult_t r, ncclComm_t comm, const std::string &call,
              std::string &error) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (r == ncclInProgress && Clock::now() < deadline) {
    std::this_thread::yield();
    if (ncclCommGetAsyncError(comm, &r) != ncclSuccess)
      break;
  }
  if (r == ncclSuccess)
    return true;
  error = call + ": " + ncclGetErrorString(r);
  return false;
}
} // namespace

bool CudaExecutor::issueCollective(int d, int i, int step, std::string &error) {
  const crosspipe_action &a = plan->action(d, i);
  const ActionInfo &info = plan->info(d, i);
  cudaStream_t s = deviceStreams[d][kDpStream];
  if (!waitFor(d, i, s, error))
    return false;
  // The gradient must have been accumulated in this step (any microbatch).
  if (!check(d, i, kWhatGrads, info.grads,
             pack(CROSSPIPE_PARAM_GRAD, a.chunk, 0, step), kMbMask, s, error))
    return false;
  if (!cudaOk(cudaEventRecord(startEv[d][i], s), "cudaEventRecord", error))
    return false;
  if (dpComm) {
    // The bucket's share of the gradient's payload, in floats (never 0
    // bytes: gradient payloads are allocated under --tag-buffers too).
    const Buffer &g = buffers[info.grads.buffer];
    int buckets = a.slot > 0 ? a.slot : 1;
    size_t floats = g.payload / 4, share = floats / buckets;
    share -= share % size_t(replicas);
    float *p = reinterpret_cast<float *>(g.payloadAt(info.grads.slot)) +
               share * size_t(a.mb);
    size_t part = share / replicas;
    ncclResult_t r;
    const char *call;
    if (a.op == CROSSPIPE_OP_ALLREDUCE) {
      call = "ncclAllReduce";
      r = ncclAllReduce(p, p, share, ncclFloat, ncclSum, dpComm, s);
    } else if (a.op == CROSSPIPE_OP_REDUCE_SCATTER) {
      call = "ncclReduceScatter";
      r = ncclReduceScatter(p, p + part * replica, part, ncclFloat, ncclSum,
                            dpComm, s);
    } else {
      call = "ncclAllGather";
      r = ncclAllGather(p + part * replica, p, part, ncclFloat, dpComm, s);
    }
    if (!ncclDone(r, dpComm, std::string(call) + " at " + plan->where(d, i),
                  error))
      return false;
  } else if (!cudaOk(launchSpin(toNs(info.modelMs, config.timeScale), s),
                     "the spin kernel at " + plan->where(d, i), error)) {
    return false;
  }
  return cudaOk(cudaEventRecord(endEv[d][i], s), "cudaEventRecord", error);
}

bool CudaExecutor::issueSend(int d, int i, int step, std::string &error) {
  const crosspipe_action &a = plan->action(d, i);
  const ActionInfo &info = plan->info(d, i);
  cudaStream_t s = deviceStreams[d][info.stream];
  if (!waitFor(d, i, s, error) ||
      !check(d, i, kWhatMessage, info.input,
             pack(messageRole(a.op), a.chunk, a.mb, step), 0, s, error) ||
      !cudaOk(cudaEventRecord(startEv[d][i], s), "cudaEventRecord", error))
    return false;
  if (options.emulateWan && config.linkDelays && info.modelMs > 0 &&
      !cudaOk(launchSpin(toNs(info.modelMs, config.timeScale), s),
              "the bandwidth spin at " + plan->where(d, i), error))
    return false;
  const Buffer &b = buffers[info.input.buffer];
  ncclComm_t comm = channelComms[info.channel];
  if (!ncclDone(ncclSend(b.payloadAt(info.input.slot), b.tagOffset + 8,
                         ncclUint8, 1, comm, s),
                comm, "ncclSend at " + plan->where(d, i), error))
    return false;
  return cudaOk(cudaEventRecord(endEv[d][i], s), "cudaEventRecord", error);
}

bool CudaExecutor::issueRecv(int d, int i, int step, std::string &error) {
  const crosspipe_action &a = plan->action(d, i);
  const ActionInfo &info = plan->info(d, i);
  cudaStream_t s = deviceStreams[d][info.stream];
  if (!waitFor(d, i, s, error) ||
      !cudaOk(cudaEventRecord(startEv[d][i], s), "cudaEventRecord", error))
    return false;
  const Buffer &b = buffers[info.input.buffer];
  ncclComm_t comm = channelComms[info.channel];
  if (!ncclDone(ncclRecv(b.payloadAt(info.input.slot), b.tagOffset + 8,
                         ncclUint8, 0, comm, s),
                comm, "ncclRecv at " + plan->where(d, i), error))
    return false;
  uint64_t expected = pack(messageRole(a.op), a.chunk, a.mb, step);
  const Lane &lane = lanes[info.link];
  uint64_t latency = toNs(info.latencyMs, config.timeScale);
  if (lane.delay && latency > 0 && midEv[d][i]) {
    // The data is in; the latency passes on the delay lane while this
    // stream posts its next receive.
    uint64_t *stamp = stamps + stampBase[d] + 2 * size_t(i);
    return cudaOk(launchStamp(stamp, s), "the stamp kernel", error) &&
           cudaOk(cudaEventRecord(midEv[d][i], s), "cudaEventRecord",
                  error) &&
           cudaOk(cudaStreamWaitEvent(lane.delay, midEv[d][i], 0),
                  "cudaStreamWaitEvent", error) &&
           cudaOk(launchWaitUntil(stamp, latency, lane.delay),
                  "the latency kernel", error) &&
           check(d, i, kWhatReceived, info.input, expected, 0, lane.delay,
                 error) &&
           cudaOk(cudaEventRecord(endEv[d][i], lane.delay), "cudaEventRecord",
                  error);
  }
  return check(d, i, kWhatReceived, info.input, expected, 0, s, error) &&
         cudaOk(cudaEventRecord(endEv[d][i], s), "cudaEventRecord", error);
}

bool CudaExecutor::issueEmulatedMessage(int d, int i, int rd, int ri, int step,
                                        std::string &error) {
  const crosspipe_action &a = plan->action(d, i);
  const ActionInfo &info = plan->info(d, i), &rinfo = plan->info(rd, ri);
  const Lane &lane = lanes[info.link];
  cudaStream_t L = lane.link;
  // The lane takes the message once the send's and the receive's waits are
  // met (the receive is posted: its slot is free).
  if (!waitFor(d, i, L, error) || !waitFor(rd, ri, L, error))
    return false;
  uint64_t expected = pack(messageRole(a.op), a.chunk, a.mb, step);
  if (!check(d, i, kWhatMessage, info.input, expected, 0, L, error))
    return false;
  uint64_t *winStart = stamps + stampBase[d] + 2 * size_t(i);
  uint64_t *winEnd = winStart + 1;
  const Buffer &src = buffers[info.input.buffer];
  const Buffer &dst = buffers[rinfo.input.buffer];
  uint64_t window =
      config.linkDelays ? toNs(info.modelMs, config.timeScale) : 0;
  uint64_t latency =
      config.linkDelays ? toNs(info.latencyMs, config.timeScale) : 0;
  if (!cudaOk(launchStamp(winStart, L), "the stamp kernel", error) ||
      !cudaOk(cudaEventRecord(startEv[d][i], L), "cudaEventRecord", error) ||
      !cudaOk(cudaEventRecord(startEv[rd][ri], L), "cudaEventRecord", error) ||
      !cudaOk(cudaMemcpyAsync(dst.payloadAt(rinfo.input.slot),
                              src.payloadAt(info.input.slot),
                              std::min(src.tagOffset, dst.tagOffset) + 8,
                              cudaMemcpyDeviceToDevice, L),
              "cudaMemcpyAsync at " + plan->where(d, i), error))
    return false;
  if (window > 0 &&
      !cudaOk(launchWaitUntil(winStart, window, L),
              "the bandwidth kernel at " + plan->where(d, i), error))
    return false;
  if (!cudaOk(launchStamp(winEnd, L), "the stamp kernel", error) ||
      !cudaOk(cudaEventRecord(endEv[d][i], L), "cudaEventRecord", error))
    return false;
  cudaStream_t R = lane.delay && latency > 0 ? lane.delay : L;
  if (R != L && !cudaOk(cudaStreamWaitEvent(R, endEv[d][i], 0),
                        "cudaStreamWaitEvent", error))
    return false;
  if (latency > 0 && !cudaOk(launchWaitUntil(winEnd, latency, R),
                             "the latency kernel at " + plan->where(rd, ri),
                             error))
    return false;
  return check(rd, ri, kWhatReceived, rinfo.input, expected, 0, R, error) &&
         cudaOk(cudaEventRecord(endEv[rd][ri], R), "cudaEventRecord", error);
}

bool CudaExecutor::issueStep(int step, std::string &error) {
  if (streams.empty())
    return true;
  // The release: every stream starts after the origin.
  if (!cudaOk(cudaEventRecord(origin, streams[0]), "cudaEventRecord", error))
    return false;
  for (size_t k = 1; k < streams.size(); ++k)
    if (!cudaOk(cudaStreamWaitEvent(streams[k], origin, 0),
                "cudaStreamWaitEvent", error))
      return false;
  for (const Issue &is : order) {
    int op = plan->info(is.device, is.action).op;
    bool ok = isCompute(op)      ? issueCompute(is.device, is.action, step, error)
              : isCollective(op) ? issueCollective(is.device, is.action, step,
                                                   error)
              : emulate ? issueEmulatedMessage(is.device, is.action,
                                               partnerOf[is.device][is.action],
                                               is.partner, step, error)
              : isSend(op) ? issueSend(is.device, is.action, step, error)
                           : issueRecv(is.device, is.action, step, error);
    if (!ok)
      return false;
  }
  return true;
}

std::string CudaExecutor::stallReport() const {
  // Per stream, the first action whose end has not been reached.
  const crosspipe_plan &p = plan->plan();
  std::string text;
  int shown = 0;
  for (int d = 0; d < p.devices; ++d) {
    if (endEv[d].empty())
      continue;
    const DeviceIndex &dev = plan->device(d);
    for (int k = 0; k < kNumStreams; ++k)
      for (int32_t i : dev.streams[k])
        if (cudaEventQuery(endEv[d][i]) == cudaErrorNotReady) {
          if (shown++ < 8)
            text += std::string(text.empty() ? "" : "; ") + streamName(k) +
                    " stream at " + plan->where(d, i);
          break;
        }
  }
  return text.empty() ? "no stream reports a pending action" : text;
}

bool CudaExecutor::completeStep(int step, std::string &error) {
  auto last = Clock::now();
  int64_t done = -1;
  for (;;) {
    if (commsAborted.load()) {
      std::lock_guard<std::mutex> lock(watchdogMutex);
      error = "step " + std::to_string(step) + ": " + watchdogError;
      return false;
    }
    bool all = true;
    for (cudaStream_t s : streams) {
      cudaError_t q = cudaStreamQuery(s);
      if (q == cudaErrorNotReady) {
        all = false;
        break;
      }
      if (q != cudaSuccess)
        return cudaOk(q, "step " + std::to_string(step) +
                             ": a kernel or copy failed (cudaStreamQuery)",
                      error);
    }
    if (all)
      return true;
    // Progress: completed end events.
    int64_t now = 0;
    for (const auto &evs : endEv)
      for (cudaEvent_t ev : evs)
        if (ev && cudaEventQuery(ev) == cudaSuccess)
          ++now;
    if (now != done) {
      done = now;
      last = Clock::now();
    } else if (std::chrono::duration<double>(Clock::now() - last).count() >
               config.watchdogS) {
      error = "step " + std::to_string(step) + " made no progress for " +
              std::to_string(int(config.watchdogS)) +
              " s (watchdog); waiting: " + stallReport();
      abortComms(error);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::string CudaExecutor::tagReport(const TagError &e) const {
  const crosspipe_plan &p = plan->plan();
  Tag found = unpack(e.found), want = unpack(e.expected);
  std::string where = plan->where(e.device, e.action);
  if (e.what == kWhatReceived && !emulate) {
    const ActionInfo &info = plan->info(e.device, e.action);
    const crosspipe_channel &ch = p.channels[info.channel];
    return "channel mismatch at " + where + ": message " +
           std::to_string(info.seq) + " on channel " +
           std::to_string(info.channel) + " (" + roleName(ch.role) + " " +
           std::to_string(ch.src) + " -> " + std::to_string(ch.dst) +
           ") carries " + describeTag(found) + ", expected " +
           describeTag(want) + " (a reordered or dropped transfer)";
  }
  std::string wanted = describeTag(want);
  if (e.what == kWhatGrads)
    wanted = std::string(roleName(want.role)) + " chunk " +
             std::to_string(want.chunk) + " (any mb) of step " +
             std::to_string(want.step);
  return "tag mismatch at " + where + ": " + whatName(e.what) + " slot " +
         std::to_string(e.slot) + " of " + p.buffers[e.buffer].name +
         " holds " + describeTag(found) + ", expected " + wanted +
         " (a misrouted, dropped or misordered transfer, or a slot "
         "overwritten while in use)";
}

bool CudaExecutor::runStep(int step, StepTimes &times, std::string &error) {
  currentStep = step;
  auto t0 = Clock::now();
  bool ok = issueStep(step, error);
  issueMsTotal +=
      std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ++issueSteps;
  if (ok)
    ok = completeStep(step, error);
  else
    error = "step " + std::to_string(step) + ": " + error;
  TagError e{};
  if (ok && cudaOk(cudaMemcpy(&e, tagError, sizeof(e), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (tag errors)", error) &&
      e.flag) {
    error = "step " + std::to_string(step) + ": " + tagReport(e);
    ok = false;
  }
  if (ok) {
    const crosspipe_plan &p = plan->plan();
    times.wallMs = 0;
    for (int d = 0; d < p.devices && ok; ++d) {
      if (endEv[d].empty())
        continue;
      for (int i = 0; i < p.programs[d].count; ++i) {
        if (!endEv[d][i])
          continue;
        float s = 0, t = 0;
        if (cudaEventElapsedTime(&s, origin, startEv[d][i]) != cudaSuccess ||
            cudaEventElapsedTime(&t, origin, endEv[d][i]) != cudaSuccess) {
          error = "cudaEventElapsedTime at " + plan->where(d, i);
          ok = false;
          break;
        }
        times.start[d][i] = s;
        times.end[d][i] = t;
        times.wallMs = std::max(times.wallMs, double(t));
      }
    }
  }
  if (!agree(ok)) {
    if (ok)
      error = "step " + std::to_string(step) + ": another process failed it";
    return false;
  }
  return true;
}

bool CudaExecutor::gather(StepTimes &times, std::string &error) {
  if (!world)
    return true;
  const crosspipe_plan &p = plan->plan();
  std::vector<std::vector<double>> perRank(size);
  for (int r = 0; r < size; ++r)
    perRank[r].assign(2 * size_t(p.programs[r % p.devices].count), 0);
  std::vector<double> &mine = perRank[rank];
  for (int i = 0; i < p.programs[myDevice].count; ++i) {
    mine[2 * i] = times.start[myDevice][i];
    mine[2 * i + 1] = times.end[myDevice][i];
  }
  if (!world->gather(perRank)) {
    error = "gathering the measured times";
    return false;
  }
  if (world->rank() == 0)
    for (int r = 1; r < p.devices && r < size; ++r)
      for (int i = 0; i < p.programs[r].count; ++i) {
        times.start[r][i] = perRank[r][2 * i];
        times.end[r][i] = perRank[r][2 * i + 1];
      }
  return true;
}
