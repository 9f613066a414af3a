//===- RuntimeInternal.h - State shared by the runtime's files --*- C++ -*-===//
//
// The plan as described by the generated code, and the live state of a run:
// streams, events, buffers, delay lanes and communicators, indexed exactly
// as the generated code indexes them. Private to runtime/; the generated
// code sees only the C API of include/crosspipe/Runtime/Runtime.h.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_RUNTIMEINTERNAL_H
#define CROSSPIPE_RUNTIME_RUNTIMEINTERNAL_H

#include "crosspipe/Runtime/Runtime.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

struct crosspipe_plan_desc {
  std::string name, algorithm;
  int backend = CROSSPIPE_BACKEND_NCCL;
  int devices = 0, chunks = 0, microbatches = 0, dpDegree = 1;
  double makespanMs = 0, lowerBoundMs = 0;

  struct Chunk {
    int device = 0;
    double forwardMs = 0, backwardMs = 0, dgradMs = 0, wgradMs = 0;
    double allreduceMs = 0;
  };
  struct Buffer {
    int device = 0;
    std::string name;
    int role = 0, chunk = 0, slots = 0;
    size_t bytes = 0;
  };
  struct Channel {
    int src = 0, dst = 0, role = 0;
  };
  /// A timed record: a block, a transfer or an all-reduce.
  struct Record {
    int device = 0;  ///< Owner of the events (the sender for transfers).
    char kind = 'F'; ///< 'F', 'B', 'D', 'W'; 'x' transfer; 'r' all-reduce.
    int role = 0;    ///< Transfers: CROSSPIPE_ACT or CROSSPIPE_GRAD.
    int chunk = 0, mb = 0, part = 0, parts = 1;
    int src = 0, dst = 0, link = -1;
    int startEvent = -1, endEvent = -1;
    double startMs = 0, endMs = 0; ///< Simulated.
  };

  std::vector<Chunk> chunkList;
  std::vector<Buffer> buffers;
  std::vector<int> eventDevice; ///< Owner of each event id.
  std::vector<Channel> channels;
  std::vector<std::string> links;
  std::vector<Record> blocks, transfers, reduces;
};

namespace crosspipe {
namespace rt {

/// The trailer after each slot's payload: who wrote it, for which step.
struct Tag {
  uint32_t magic;
  int32_t role, chunk, mb, step;
  int32_t pad[3];
};
constexpr uint32_t kTagMagic = 0xC5055A1Du;
constexpr size_t kTagBytes = 256; ///< Keeps payloads 256-byte aligned.

/// The first tag mismatch of a step, written by the check kernel.
struct TagError {
  int32_t flag;
  int32_t block, buffer, slot;
  Tag found;
  int32_t role, chunk, mb, step; ///< Expected.
};

struct BufferMemory {
  char *base = nullptr;
  size_t payload = 0; ///< Allocated payload bytes per slot (0: tags only).
  size_t tagOffset = 0;
  size_t stride = 0;
  size_t transferBytes = 0;
};

/// Records `event` a delay after work on a stream, without holding it.
struct DelayLane {
  cudaStream_t stream = nullptr;
  cudaEvent_t ready = nullptr;
  uint64_t *stamps = nullptr; ///< Device memory, one per use in a step.
  int next = 0, capacity = 0;
};

//===--- Errors and the current run (Runtime.cpp) ------------------------===//
/// Prints `what` (with the rank on the NCCL backend), aborts the world
/// communicator so peers do not hang, and exits.
[[noreturn]] void fail(const crosspipe_runtime *rt, const std::string &what);
/// fail(rt, what + ": " + the CUDA error) unless `status` is cudaSuccess.
void cudaOrDie(const crosspipe_runtime *rt, cudaError_t status,
               const std::string &what);
/// Durations of a kind of block, for the synthetic stages.
double modelledMs(const crosspipe_runtime *rt, char kind, int chunk);
/// The runtime the synthetic stages read their durations from.
crosspipe_runtime *current();

//===--- Kernels (Kernels.cu) --------------------------------------------===//
cudaError_t launchSpin(uint64_t ns, cudaStream_t stream);
cudaError_t launchStamp(uint64_t *slot, cudaStream_t stream);
cudaError_t launchWaitUntil(const uint64_t *stamp, uint64_t delayNs,
                            cudaStream_t stream);
cudaError_t launchTagWrite(Tag *tag, int role, int chunk, int mb, int step,
                           cudaStream_t stream);
cudaError_t launchTagCheck(const Tag *tag, int role, int chunk, int mb,
                           int step, int block, int buffer, int slot,
                           TagError *error, cudaStream_t stream);

//===--- Resources (Resources.cpp) ---------------------------------------===//
/// Creates every stream, event, buffer slot and delay lane of this process,
/// and the step's scratch, so that a step only enqueues.
void allocateResources(crosspipe_runtime *rt);
/// Frees the device memory allocateResources took.
void freeResources(crosspipe_runtime *rt);

//===--- Bootstrap (Bootstrap.cpp) ---------------------------------------===//
/// Rank and size of this process from the launcher's environment.
void processRank(int &rank, int &size, int &localRank);
/// Creates the world communicator, the channels' and the DP one.
void bootNccl(crosspipe_runtime *rt);
/// Connects every channel (and the DP communicator) in one NCCL group.
void connectChannels(crosspipe_runtime *rt);
/// Destroys the channel, DP and world communicators that exist.
void closeNccl(crosspipe_runtime *rt);

//===--- Output (Trace.cpp) ----------------------------------------------===//
/// times: [start, end] per block, transfer and all-reduce, in that order.
void writeTrace(const crosspipe_runtime *rt, const char *path,
                const std::vector<double> &times, double makespanMs,
                bool measured);
void writeSummary(const crosspipe_runtime *rt, const char *path);

} // namespace rt
} // namespace crosspipe

struct crosspipe_runtime {
  crosspipe_options options;
  crosspipe_plan_desc desc;
  bool emulate = false;
  int rank = 0, worldSize = 1, localRank = 0;
  int device = 0, replica = 0, gpu = 0;
  double scale = 1;
  int step = 0;

  /// streams[device][kind]; only the devices this process runs.
  std::vector<std::array<cudaStream_t, CROSSPIPE_NUM_STREAMS>> streams;
  std::vector<cudaStream_t> linkStreams;
  std::vector<cudaEvent_t> events;
  std::vector<crosspipe::rt::BufferMemory> buffers;
  std::vector<crosspipe::rt::DelayLane> lanes;
  crosspipe::rt::TagError *tagError = nullptr;

  ncclComm_t world = nullptr, dp = nullptr;
  std::vector<ncclComm_t> channelComms;
  double *gather = nullptr; ///< Device scratch for collecting times.

  cudaStream_t control = nullptr;
  cudaEvent_t origin = nullptr;

  /// Per measured step.
  std::vector<double> makespans, issueMs;
  std::vector<double> lastTimes;
  /// Blocks this process enqueues per step.
  int ownedBlocks = 0;
  /// The path of the NCCL id file rank 0 published, removed once all joined.
  std::string idFile;
  bool owns(int device) const { return emulate || device == this->device; }
  /// Mean host time to enqueue one block, over the measured steps.
  double issueUsPerBlock() const {
    double total = 0;
    for (double ms : issueMs)
      total += ms;
    return issueMs.empty() || !ownedBlocks
               ? 0
               : total * 1e3 / (double(issueMs.size()) * ownedBlocks);
  }
};

#endif // CROSSPIPE_RUNTIME_RUNTIMEINTERNAL_H
