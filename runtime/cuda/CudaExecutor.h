//===- CudaExecutor.h - Running a plan on CUDA streams and NCCL -*- C++ -*-===//
//
// The CUDA executor: the Executor of runtime/core over CUDA streams, events
// and NCCL (CudaExecutor.cpp: set-up, issue order, close; CudaStep.cpp: a
// step; CudaNccl.cpp: communicators and the watchdog; CudaRun.cpp: the
// runner). Two arrangements:
//
//  - NCCL: one process per device (mpirun -np DEVICES [x DP degree]); sends
//    and receives are ncclSend/ncclRecv of the slot's payload and its tag on
//    the channel's own communicator (split from the world one with a
//    config: non-blocking, shared resources, bounded CTAs); DP collectives
//    are NCCL collectives on the DP stream when the job has DP replicas.
//  - EMULATE: one GPU plays every device; a message is a device-to-device
//    copy on its link's lane (one stream per link, shared by every channel
//    on it, so pairs sharing a datacenter link queue as the model says),
//    with the bandwidth window a wait on the lane and the latency a wait
//    until window end + latency on the link's delay lane.
//
// Streams are created only where the plan uses them; every action has a
// start and an end event (a WAIT is cudaStreamWaitEvent on the end event);
// buffer slots (payload and a 64-bit tag) are allocated at load.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CUDA_CUDAEXECUTOR_H
#define CROSSPIPE_RUNTIME_CUDA_CUDAEXECUTOR_H

#include "core/Executor.h"
#include "cuda/Kernels.h"

#include <atomic>
#include <cuda_runtime.h>
#include <map>
#include <mutex>
#include <nccl.h>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace crosspipe {
namespace rt {
namespace host {
class MpiWorld;
}
namespace cuda {

/// What the CUDA runner adds to the core's options.
struct CudaOptions {
  bool tagBuffers = false;     ///< stash slots carry only their tag
  bool emulateWan = false;     ///< NCCL arrangement: spin link windows too
  bool allowFewQueues = false; ///< warn instead of refusing
  int maxCtas = 4;             ///< per channel communicator
  std::string report;          ///< JSON file: streams, queues, issue time
  bool dryRun = false;         ///< plan and report the streams, touch no GPU
};

/// Where an action's work goes.
struct Issue {
  int32_t device, action;
  int32_t partner = -1; ///< EMULATE: the receive of a send (same unit)
};

class CudaExecutor : public Executor {
public:
  CudaExecutor(host::MpiWorld *world, const CudaOptions &options);
  ~CudaExecutor() override;

  bool load(const PlanIndex &index, const ExecutorConfig &config,
            std::string &error) override;
  bool swap(const PlanIndex &next, std::string &kept,
            std::string &error) override;
  bool runStep(int step, StepTimes &times, std::string &error) override;
  bool gather(StepTimes &times, std::string &error) override;
  bool reports() const override;
  bool agree(bool ok) override;
  std::string arrangement() const override;
  std::string backend() const override { return "cuda"; }
  void close() override;

  /// For the synthetic stages: the modelled duration (scaled, ns) of the
  /// block being issued.
  static uint64_t currentBlockNs();

  /// Streams this process created, and the hardware queues it has.
  int streamCount() const { return int(streams.size()); }
  int hardwareQueues() const { return queues; }
  std::string streamSummary() const;
  double meanIssueMs() const {
    return issueSteps ? issueMsTotal / issueSteps : 0;
  }
  bool writeReport(std::string &error) const;

private:
  struct Buffer {
    char *base = nullptr;
    size_t stride = 0, payload = 0, tagOffset = 0;
    int32_t slots = 0;
    char *payloadAt(int slot) const { return base + size_t(slot) * stride; }
    uint64_t *tagAt(int slot) const {
      return reinterpret_cast<uint64_t *>(base + size_t(slot) * stride +
                                          tagOffset);
    }
  };
  struct Lane {
    cudaStream_t link = nullptr;  ///< bandwidth windows, copies
    cudaStream_t delay = nullptr; ///< latencies (nullptr: inline)
    double latencyMs = 0;
  };

  // Set-up (CudaExecutor.cpp).
  bool checkQueues(std::string &error);
  bool createPlanResources(const PlanIndex &index, std::string &error);
  /// Streams and lanes the plan uses (only counted when `dry`).
  bool planStreams(const PlanIndex &index, bool dry, std::string &error);
  bool createDeviceStreams(const PlanIndex &index, std::string &error);
  bool createEmulateLanes(const PlanIndex &index, std::string &error);
  bool createWanDelayLanes(const PlanIndex &index, std::string &error);
  /// Slot payloads and tags of the buffers this process owns.
  bool createBuffers(const PlanIndex &index, std::string &error);
  /// Action events, the origin and the stamp array.
  bool createEvents(const PlanIndex &index, std::string &error);
  void destroyPlanResources();
  bool planIssueOrder(const PlanIndex &index, std::string &error);
  cudaStream_t newStream(const char *what, std::string &error);
  bool cudaOk(cudaError_t status, const std::string &call,
              std::string &error) const;

  // A step (CudaStep.cpp).
  bool issueStep(int step, std::string &error);
  bool issueCompute(int d, int i, int step, std::string &error);
  bool issueCollective(int d, int i, int step, std::string &error);
  bool issueSend(int d, int i, int step, std::string &error);
  bool issueRecv(int d, int i, int step, std::string &error);
  bool issueEmulatedMessage(int d, int i, int rd, int ri, int step,
                            std::string &error);
  bool waitFor(int d, int i, cudaStream_t stream, std::string &error);
  bool check(int d, int i, int what, const SlotRef &slot, uint64_t expected,
             uint64_t ignore, cudaStream_t stream, std::string &error);
  bool writeTag(const SlotRef &slot, uint64_t value, cudaStream_t stream,
                std::string &error);
  bool completeStep(int step, std::string &error);
  std::string stallReport() const;
  std::string tagReport(const TagError &e) const;

  // NCCL (CudaNccl.cpp).
  bool bootNccl(std::string &error);
  /// Communicators by channel (src, dst, role).
  using CommsByEnds = std::map<std::tuple<int, int, int>, ncclComm_t>;
  bool splitChannels(const PlanIndex &index, const CommsByEnds &kept,
                     std::string &error);
  bool splitChannel(const crosspipe_channel &ch, int c, ncclComm_t &comm,
                    std::string &error);
  bool connectChannels(const crosspipe_plan &p,
                       const std::vector<int> &channels, std::string &error);
  bool awaitStream(cudaStream_t stream, const std::string &what,
                   std::string &error);
  void releaseComms(const std::vector<ncclComm_t> &comms);
  bool swapComms(const PlanIndex &next, int &kept, std::string &error);
  bool waitComm(ncclComm_t comm, const std::string &what, std::string &error);
  void startWatchdog();
  void stopWatchdog();
  void abortComms(const std::string &why);
  void destroyComms();

  CudaOptions options;
  ExecutorConfig config;
  host::MpiWorld *world;
  const PlanIndex *plan = nullptr;
  bool emulate = false, closed = false, loaded = false, dryStreams = false;
  std::string summary;
  int rank = 0, size = 1, myDevice = 0, replica = 0, replicas = 1;
  int gpu = 0, queues = 8;
  bool queuesFromUser = false;

  std::vector<cudaStream_t> streams; ///< every stream, for close
  /// [device][kind]: nullptr where the device does not use the stream.
  std::vector<std::vector<cudaStream_t>> deviceStreams;
  std::vector<Lane> lanes; ///< [link]
  int computeStreams = 0, transferStreams = 0, dpStreams = 0, linkLanes = 0,
      delayLanes = 0, inlineLatencies = 0;

  std::vector<Buffer> buffers;
  std::vector<void *> allocations;
  /// [device][action] (owned devices only).
  std::vector<std::vector<cudaEvent_t>> startEv, endEv;
  /// NCCL receives with a delay lane: the data is in.
  std::vector<std::vector<cudaEvent_t>> midEv;
  std::vector<cudaEvent_t> events; ///< every event, for close
  cudaEvent_t origin = nullptr;
  uint64_t *stamps = nullptr;    ///< two per action of owned devices
  std::vector<size_t> stampBase; ///< [device]
  TagError *tagError = nullptr;  ///< device memory
  std::vector<Issue> order;      ///< the host issue order of a step
  std::vector<std::vector<int32_t>> partnerOf; ///< EMULATE: [device][send]

  // NCCL.
  ncclComm_t worldComm = nullptr, dpComm = nullptr;
  std::vector<ncclComm_t> channelComms; ///< [channel]
  std::vector<std::pair<std::string, ncclComm_t>> commNames;
  std::thread watchdog;
  std::mutex watchdogMutex;
  std::atomic<bool> watchdogQuit{false}, commsAborted{false};
  std::string watchdogError;

  double issueMsTotal = 0;
  int issueSteps = 0;
  int currentStep = 0;
};

} // namespace cuda
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CUDA_CUDAEXECUTOR_H
