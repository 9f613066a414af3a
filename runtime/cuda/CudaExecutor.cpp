//===- CudaExecutor.cpp - Set-up, issue order and close -------------------===//
//
// load: the process's place in the job (NCCL: rank = replica x devices +
// device; EMULATE: every device), the GPU, the streams the plan uses and
// nothing else (per device: compute, and the transfer and DP streams only
// where the device has such actions; EMULATE: a lane per link that carries
// messages and a delay lane per link whose latency exceeds 1 us, as many as
// the hardware queues leave room for, the others waiting their latency on
// the link lane), the stream count checked against the hardware queues,
// buffer slots with their tags, two events per action, the communicators,
// and the host issue order of a step (CudaIssueOrder.cpp). Nothing is
// allocated during a step.
//
//===----------------------------------------------------------------------===//

#include "cuda/CudaExecutor.h"
#include "host/MpiWorld.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

using namespace crosspipe::rt;
using namespace crosspipe::rt::cuda;

namespace {
constexpr double kLaneLatencyMs = 0.001; // 1 us
size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

int envInt(const char *name, int fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
} // namespace

CudaExecutor::CudaExecutor(host::MpiWorld *world, const CudaOptions &options)
    : options(options), world(world) {}

CudaExecutor::~CudaExecutor() { close(); }

bool CudaExecutor::reports() const { return !world || world->rank() == 0; }

bool CudaExecutor::agree(bool ok) { return world ? world->agree(ok) : ok; }

std::string CudaExecutor::arrangement() const {
  return emulate ? "emulate" : (world ? "nccl" : "nccl, one process");
}

bool CudaExecutor::cudaOk(cudaError_t status, const std::string &call,
                          std::string &error) const {
  if (status == cudaSuccess)
    return true;
  error = call + ": " + cudaGetErrorName(status) + " (" +
          cudaGetErrorString(status) + ")";
  return false;
}

cudaStream_t CudaExecutor::newStream(const char *what, std::string &error) {
  cudaStream_t s = nullptr;
  if (dryStreams) { // counting only (--dry-run): no CUDA
    streams.push_back(nullptr);
    return reinterpret_cast<cudaStream_t>(uintptr_t(streams.size()));
  }
  if (!cudaOk(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking),
              std::string("cudaStreamCreate (") + what + ")", error))
    return nullptr;
  streams.push_back(s);
  return s;
}

std::string CudaExecutor::streamSummary() const {
  char line[512];
  std::snprintf(line, sizeof(line),
                "%d streams (%d compute, %d transfer, %d DP, %d link lanes, "
                "%d delay lanes; %d links wait their latency on the link "
                "lane) for %d hardware queues (CUDA_DEVICE_MAX_CONNECTIONS%s)",
                int(streams.size()), computeStreams, transferStreams, dpStreams,
                linkLanes, delayLanes, inlineLatencies, queues,
                queuesFromUser ? ", set by the user" : "");
  return line;
}

bool CudaExecutor::writeReport(std::string &error) const {
  if (options.report.empty() || !reports())
    return true;
  FILE *f = std::fopen(options.report.c_str(), "w");
  if (!f) {
    error = "cannot write " + options.report;
    return false;
  }
  std::fprintf(f,
               "{\"arrangement\": \"%s\", \"streams\": %d, "
               "\"compute_streams\": %d, \"transfer_streams\": %d, "
               "\"dp_streams\": %d, \"link_lanes\": %d, \"delay_lanes\": %d, "
               "\"inline_latency_links\": %d, \"hardware_queues\": %d, "
               "\"queues_set_by_user\": %s, \"host_issue_ms_per_step\": %.6f, "
               "\"steps_issued\": %d, \"tag_buffers\": %s}\n",
               arrangement().c_str(), int(streams.size()), computeStreams,
               transferStreams, dpStreams, linkLanes, delayLanes,
               inlineLatencies, queues, queuesFromUser ? "true" : "false",
               meanIssueMs(), issueSteps,
               options.tagBuffers ? "true" : "false");
  if (std::fclose(f) != 0) {
    error = "cannot write " + options.report;
    return false;
  }
  return true;
}

bool CudaExecutor::load(const PlanIndex &index, const ExecutorConfig &runConfig,
                        std::string &error) {
  config = runConfig;
  const crosspipe_plan &p = index.plan();
  emulate = p.arrangement == CROSSPIPE_ARRANGE_EMULATE;
  rank = world ? world->rank() : 0;
  size = world ? world->size() : 1;
  if (emulate && world) {
    error = "an emulate plan plays every device on one GPU; run it without "
            "mpirun";
    return false;
  }
  if (!emulate) {
    // NCCL guarantees progress across communicators only for operations
    // issued in one order on every rank.
    PlanFault fault;
    if (!checkNcclIssueOrder(p, fault)) {
      error = "the plan cannot run on NCCL: " + formatFault(fault);
      return false;
    }
    if (size % p.devices != 0 || (size == 1 && p.devices > 1)) {
      error = "the plan has " + std::to_string(p.devices) +
              " devices; launch one process per device (mpirun -np " +
              std::to_string(p.devices) +
              ", or a multiple for DP replicas), "
              "not " +
              std::to_string(size);
      return false;
    }
    myDevice = rank % p.devices;
    replica = rank / p.devices;
    replicas = size / p.devices;
  }
  if (!emulate && options.emulateWan && config.linkDelays && rank == 0)
    for (const std::string &link : linksWithSeveralSenders(p))
      std::fprintf(stderr,
                   "crosspipe-run: warning: --emulate-wan: %s: each process "
                   "queues its own messages on it (the model queues them all "
                   "together)\n",
                   link.c_str());
  plan = &index;
  if (options.dryRun) {
    // The streams this process would create, checked against the hardware
    // queues, without touching CUDA (CI has no GPU).
    bool ok = planStreams(index, true, error) && checkQueues(error);
    summary = streamSummary();
    streams.clear();
    deviceStreams.clear();
    lanes.clear();
    if (ok)
      error = "dry run: " + summary;
    return false;
  }
  int count = 0;
  if (!cudaOk(cudaGetDeviceCount(&count), "cudaGetDeviceCount", error))
    return false;
  if (count < 1) {
    error = "no CUDA device";
    return false;
  }
  int local = envInt("OMPI_COMM_WORLD_LOCAL_RANK",
                     envInt("SLURM_LOCALID", envInt("LOCAL_RANK", rank)));
  gpu = local % count;
  if (!cudaOk(cudaSetDevice(gpu), "cudaSetDevice", error))
    return false;
  plan = &index;
  if (!createPlanResources(index, error))
    return false;
  if (!emulate && size > 1) {
    if (!bootNccl(error) || !splitChannels(index, {}, error))
      return false;
    startWatchdog();
  }
  loaded = true;
  return true;
}

bool CudaExecutor::checkQueues(std::string &error) {
  // CUDA_DEVICE_MAX_CONNECTIONS: the work queues from the host to the
  // device (CUDA's default 8, at most 32). The runner sets 32 unless the
  // user set it (crosspipe_cuda_main); a user's smaller value (Megatron
  // setups use 1) maps several streams onto one queue, where each waits
  // for the others' work: false dependencies between emulated devices or
  // transfer streams, up to a deadlock.
  const char *v = std::getenv("CUDA_DEVICE_MAX_CONNECTIONS");
  queues = v && *v ? std::atoi(v) : 8;
  if (queues < 1)
    queues = 1;
  if (queues > 32)
    queues = 32;
  queuesFromUser = std::getenv("CROSSPIPE_QUEUES_FROM_USER") != nullptr;
  int n = int(streams.size());
  if (n <= queues)
    return true;
  std::string what =
      "CUDA_DEVICE_MAX_CONNECTIONS=" + std::to_string(queues) +
      " maps this plan's " + std::to_string(n) + " streams onto " +
      std::to_string(queues) +
      " hardware queue(s): streams would wait for each other's work (false "
      "dependencies between devices, possibly a deadlock)";
  if (queuesFromUser && !options.allowFewQueues) {
    error = what + "; unset it (the runner then uses 32), set it to at least " +
            std::to_string(std::min(n, 32)) +
            ", or pass --allow-few-queues to run anyway";
    return false;
  }
  std::fprintf(stderr, "crosspipe-run: warning: %s\n", what.c_str());
  return true;
}

bool CudaExecutor::createPlanResources(const PlanIndex &index,
                                       std::string &error) {
  if (!planStreams(index, false, error) || !checkQueues(error))
    return false;
  return createBuffers(index, error) && createEvents(index, error) &&
         planIssueOrder(index, error);
}

bool CudaExecutor::planStreams(const PlanIndex &index, bool dry,
                               std::string &error) {
  // A dry run only counts (newStream creates nothing, so cannot fail).
  dryStreams = dry;
  computeStreams = transferStreams = dpStreams = linkLanes = delayLanes =
      inlineLatencies = 0;
  lanes.assign(index.plan().num_links, Lane());
  bool ok = createDeviceStreams(index, error);
  if (ok && emulate)
    ok = createEmulateLanes(index, error);
  else if (ok && options.emulateWan && config.linkDelays)
    ok = createWanDelayLanes(index, error);
  dryStreams = false;
  return ok;
}

bool CudaExecutor::createDeviceStreams(const PlanIndex &index,
                                       std::string &error) {
  // Streams: only those the plan uses.
  const crosspipe_plan &p = index.plan();
  auto owns = [&](int d) { return emulate || d == myDevice; };
  deviceStreams.assign(p.devices, std::vector<cudaStream_t>(kNumStreams));
  for (int d = 0; d < p.devices; ++d) {
    if (!owns(d))
      continue;
    const DeviceIndex &dev = index.device(d);
    for (int k = 0; k < kNumStreams; ++k) {
      bool used = !dev.streams[k].empty() || k == kComputeStream;
      bool message = k != kComputeStream && k != kDpStream;
      if (!used || (emulate && message))
        continue; // EMULATE: messages run on their link's lane
      if (!(deviceStreams[d][k] = newStream(streamName(k), error)))
        return false;
      (k == kComputeStream ? computeStreams
       : k == kDpStream    ? dpStreams
                           : transferStreams)++;
    }
  }
  return true;
}

bool CudaExecutor::createEmulateLanes(const PlanIndex &index,
                                      std::string &error) {
  // EMULATE lanes: one per link that carries messages; a delay lane per
  // link whose latency exceeds 1 us while the hardware queues allow.
  const crosspipe_plan &p = index.plan();
  std::vector<bool> used(p.num_links, false);
  for (int c = 0; c < p.num_channels; ++c)
    if (index.channelMessages(c) > 0) {
      int l = p.channels[c].link;
      used[l] = true;
      lanes[l].latencyMs =
          std::max(lanes[l].latencyMs, p.channels[c].latency_ms);
    }
  for (int l = 0; l < p.num_links; ++l)
    if (used[l]) {
      if (!(lanes[l].link = newStream("link lane", error)))
        return false;
      ++linkLanes;
    }
  const char *v = std::getenv("CUDA_DEVICE_MAX_CONNECTIONS");
  int budget = (v && *v ? std::min(32, std::atoi(v)) : 8) - int(streams.size());
  std::vector<int> slow;
  for (int l = 0; l < p.num_links; ++l)
    if (used[l] && config.linkDelays &&
        lanes[l].latencyMs * config.timeScale > kLaneLatencyMs)
      slow.push_back(l);
  std::stable_sort(slow.begin(), slow.end(), [&](int a, int b) {
    return lanes[a].latencyMs > lanes[b].latencyMs;
  });
  for (int l : slow) {
    if (budget <= 0) {
      ++inlineLatencies;
      continue;
    }
    if (!(lanes[l].delay = newStream("delay lane", error)))
      return false;
    ++delayLanes;
    --budget;
  }
  return true;
}

bool CudaExecutor::createWanDelayLanes(const PlanIndex &index,
                                       std::string &error) {
  // NCCL + --emulate-wan: the bandwidth window is spun on the send stream
  // (this device's queue on the link: exact when every channel on a link
  // starts on one device); a receive's latency on a delay lane.
  const crosspipe_plan &p = index.plan();
  for (int c = 0; c < p.num_channels; ++c) {
    const crosspipe_channel &ch = p.channels[c];
    int l = ch.link;
    if (ch.dst != myDevice || lanes[l].delay ||
        ch.latency_ms * config.timeScale <= kLaneLatencyMs)
      continue;
    lanes[l].latencyMs = ch.latency_ms;
    if (!(lanes[l].delay = newStream("delay lane", error)))
      return false;
    ++delayLanes;
  }
  return true;
}

bool CudaExecutor::createBuffers(const PlanIndex &index, std::string &error) {
  const crosspipe_plan &p = index.plan();
  auto owns = [&](int d) { return emulate || d == myDevice; };
  // Buffers: payload (none for stash slots under --tag-buffers; message and
  // parameter-gradient slots always keep theirs, so transfers and the DP
  // collectives move their real bytes) and a tag per slot.
  size_t total = 0;
  buffers.assign(p.num_buffers, Buffer());
  for (int b = 0; b < p.num_buffers; ++b) {
    const crosspipe_buffer &buf = p.buffers[b];
    if (!owns(buf.device))
      continue;
    Buffer &mine = buffers[b];
    mine.slots = buf.slots;
    mine.payload =
        options.tagBuffers && buf.role == CROSSPIPE_STASH ? 0 : buf.bytes;
    mine.tagOffset = roundUp(mine.payload, 256);
    mine.stride = mine.tagOffset + 256;
    total += mine.stride * size_t(buf.slots);
  }
  size_t freeBytes = 0, totalBytes = 0;
  if (!cudaOk(cudaMemGetInfo(&freeBytes, &totalBytes), "cudaMemGetInfo", error))
    return false;
  if (total > freeBytes) {
    char text[256];
    std::snprintf(text, sizeof(text),
                  "the plan's buffers need %.2f GiB on GPU %d, %.2f GiB are "
                  "free%s",
                  total / 1073741824.0, gpu, freeBytes / 1073741824.0,
                  options.tagBuffers ? ""
                                     : " (--tag-buffers drops the stash "
                                       "payloads)");
    error = text;
    return false;
  }
  for (int b = 0; b < p.num_buffers; ++b) {
    Buffer &mine = buffers[b];
    if (!mine.slots)
      continue;
    void *ptr = nullptr;
    if (!cudaOk(cudaMalloc(&ptr, mine.stride * size_t(mine.slots)),
                std::string("cudaMalloc (buffer ") + p.buffers[b].name + ")",
                error))
      return false;
    allocations.push_back(ptr);
    mine.base = static_cast<char *>(ptr);
    if (!cudaOk(cudaMemset2D(mine.base + mine.tagOffset, mine.stride, 0, 8,
                             mine.slots),
                "cudaMemset2D (tags)", error))
      return false;
  }
  return true;
}

bool CudaExecutor::createEvents(const PlanIndex &index, std::string &error) {
  const crosspipe_plan &p = index.plan();
  auto owns = [&](int d) { return emulate || d == myDevice; };
  // Events: a start and an end per non-wait action; stamps: two per action.
  startEv.assign(p.devices, {});
  endEv.assign(p.devices, {});
  midEv.assign(p.devices, {});
  stampBase.assign(p.devices, 0);
  size_t stampCount = 0;
  for (int d = 0; d < p.devices; ++d) {
    if (!owns(d))
      continue;
    int n = p.programs[d].count;
    startEv[d].assign(n, nullptr);
    endEv[d].assign(n, nullptr);
    midEv[d].assign(n, nullptr);
    stampBase[d] = stampCount;
    stampCount += 2 * size_t(n);
    for (int i = 0; i < n; ++i) {
      if (index.info(d, i).op == CROSSPIPE_OP_WAIT)
        continue;
      for (cudaEvent_t *ev : {&startEv[d][i], &endEv[d][i]}) {
        if (!cudaOk(cudaEventCreate(ev), "cudaEventCreate", error))
          return false;
        events.push_back(*ev);
      }
      const ActionInfo &a = index.info(d, i);
      if (!emulate && isRecv(a.op) && lanes[a.link].delay) {
        if (!cudaOk(
                cudaEventCreateWithFlags(&midEv[d][i], cudaEventDisableTiming),
                "cudaEventCreate", error))
          return false;
        events.push_back(midEv[d][i]);
      }
    }
  }
  if (!cudaOk(cudaEventCreate(&origin), "cudaEventCreate", error))
    return false;
  events.push_back(origin);
  void *ptr = nullptr;
  if (!cudaOk(cudaMalloc(&ptr, std::max<size_t>(stampCount, 1) * 8 +
                                   sizeof(TagError)),
              "cudaMalloc (stamps)", error))
    return false;
  allocations.push_back(ptr);
  stamps = static_cast<uint64_t *>(ptr);
  tagError =
      reinterpret_cast<TagError *>(stamps + std::max<size_t>(stampCount, 1));
  if (!cudaOk(
          cudaMemset(ptr, 0,
                     std::max<size_t>(stampCount, 1) * 8 + sizeof(TagError)),
          "cudaMemset", error))
    return false;
  return cudaOk(cudaDeviceSynchronize(), "cudaDeviceSynchronize", error);
}

void CudaExecutor::destroyPlanResources() {
  if (!streams.empty() || !allocations.empty())
    cudaDeviceSynchronize();
  for (cudaEvent_t ev : events)
    cudaEventDestroy(ev);
  events.clear();
  startEv.clear();
  endEv.clear();
  midEv.clear();
  origin = nullptr;
  for (cudaStream_t s : streams)
    cudaStreamDestroy(s);
  streams.clear();
  deviceStreams.clear();
  lanes.clear();
  for (void *ptr : allocations)
    cudaFree(ptr);
  allocations.clear();
  buffers.clear();
  stamps = nullptr;
  tagError = nullptr;
  order.clear();
}

bool CudaExecutor::swap(const PlanIndex &next, std::string &kept,
                        std::string &error) {
  const crosspipe_plan &p = next.plan(), &cur = plan->plan();
  if (p.arrangement != cur.arrangement || p.devices != cur.devices) {
    error = "the new plan has another arrangement or device count (" +
            std::to_string(p.devices) + " devices, " +
            arrangementName(p.arrangement) + "; running " +
            std::to_string(cur.devices) + ", " +
            arrangementName(cur.arrangement) + ")";
    return false;
  }
  PlanFault fault;
  if (!emulate && !checkNcclIssueOrder(p, fault)) {
    error = "the new plan cannot run on NCCL: " + formatFault(fault);
    return false;
  }
  int reused = 0;
  if (!emulate && size > 1 && !swapComms(next, reused, error))
    return false;
  destroyPlanResources();
  plan = &next;
  if (!createPlanResources(next, error))
    return false;
  kept = std::to_string(reused) +
         " communicators kept; streams, events "
         "and buffers re-created (" +
         std::to_string(streams.size()) + " streams)";
  return true;
}

void CudaExecutor::close() {
  if (closed)
    return;
  closed = true;
  stopWatchdog();
  destroyComms();
  destroyPlanResources();
}
