//===- Problem.h - The pipeline-scheduling problem, free of MLIR -*- C++ -*-===//
//
// The problem every scheduler, the simulator and the solver read: a cluster of
// datacenters and devices joined by alpha-beta links, model chunks placed on
// devices with per-microbatch costs, a memory budget and data parallelism.
// Units are fixed: times in milliseconds, sizes in bytes, bandwidth in Gbit/s
// (1e9 bit/s). This mirrors the JSON contract documented in the README.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_PROBLEM_H
#define CROSSPIPE_SCHEDULE_PROBLEM_H

#include "crosspipe/Schedule/Placement.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

constexpr uint64_t kMiB = uint64_t(1) << 20;
/// A memory limit that never binds.
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

/// A position in the source the problem came from (JSON); 0 = unknown.
struct SourceLoc {
  int line = 0;
  int column = 0;
};

enum class DpSpan { IntraDc, CrossDc };
/// A data-parallel collective of one chunk on its device's communication
/// resource: the gradient all-reduce, or under ZeRO-1 the gradient
/// reduce-scatter after the last W and the parameter all-gather before the
/// first F.
enum class CollectiveKind { AllReduce, ReduceScatter, AllGather };

/// Alpha-beta cost of one directed link.
struct LinkCost {
  double latencyMs = 0;
  double bandwidthGbps = 0;
  /// Time the link is occupied by a message of `bytes` bytes.
  double bandwidthMs(uint64_t bytes) const {
    return bandwidthGbps <= 0 ? 0.0
                              : double(bytes) * 8.0 / (bandwidthGbps * 1e9) * 1e3;
  }
  double costMs(uint64_t bytes) const { return latencyMs + bandwidthMs(bytes); }
};

struct Datacenter {
  std::string name;
  int numDevices = 0;
  /// Device memory capacity, informational; 0 = unknown.
  uint64_t deviceMemoryBytes = 0;
  SourceLoc loc;
};

/// A directed link between two datacenters; from == to describes the network
/// inside a datacenter (each directed device pair there is its own link).
struct DcLink {
  int fromDc = 0;
  int toDc = 0;
  LinkCost cost;
  SourceLoc loc;
};

/// A directed link between two devices whose cost overrides their
/// datacenters' link for messages from `fromDevice` to `toDevice`. Between
/// datacenters its messages still queue on the datacenters' link with those
/// of every other device pair, unless `separatePath` gives the pair its own.
struct DeviceLink {
  int fromDevice = 0;
  int toDevice = 0;
  LinkCost cost;
  bool separatePath = false;
  SourceLoc loc;
};

/// One model chunk (pipeline stage) in model order.
struct Chunk {
  int device = 0;
  double forwardMs = 0;
  double backwardMs = 0; ///< Used when !Problem::splitBackward.
  double dgradMs = 0;    ///< Used when Problem::splitBackward.
  double wgradMs = 0;    ///< Used when Problem::splitBackward.
  /// Activation memory of one microbatch, allocated by F. With fused
  /// backward B releases all of it; with split backward D releases all but
  /// wgradActivationBytes and W the rest (BlockGraph.h, memoryEffect).
  uint64_t activationBytes = 0;
  /// The part of the activation W still needs (the inputs of the weight
  /// matmuls), held from D to W; nullopt means all of it.
  std::optional<uint64_t> wgradActivationBytes;
  /// wgradActivationBytes, or the whole activation when not given.
  uint64_t heldForWgradBytes() const {
    return std::min(wgradActivationBytes.value_or(activationBytes),
                    activationBytes);
  }
  uint64_t messageBytes = 0;    ///< Activation sent to chunk+1 (and gradient back).
  uint64_t gradientBytes = 0;   ///< Parameter gradient all-reduced across DP.
  /// Activation recomputation: F keeps only a checkpoint (the stage's
  /// input) until the backward, and the backward block (B, or D when split)
  /// first re-runs the forward, taking forwardMs longer and allocating the
  /// rest of the activation when it starts (BlockGraph.h, memoryEffect).
  bool recompute = false;
  /// What F keeps with `recompute`; nullopt means the activation the stage
  /// received (Problem::checkpointBytes). At most activationBytes.
  std::optional<uint64_t> checkpointBytes;
  SourceLoc loc;
};

/// What a device holds besides activations when its budget is what device
/// memory leaves (MemoryBudget.h): its chunks' weights, gradients and
/// optimizer states, as ZeRO shards them, and a reserve.
struct StaticMemory {
  uint64_t weightBytes = 0;
  uint64_t gradientBytes = 0;
  uint64_t optimizerBytes = 0;
  uint64_t reservedBytes = 0;
  /// Their sum, saturating at kUnlimited.
  uint64_t totalBytes() const {
    uint64_t sum = 0;
    for (uint64_t part :
         {weightBytes, gradientBytes, optimizerBytes, reservedBytes})
      sum = sum > std::numeric_limits<uint64_t>::max() - part
                ? std::numeric_limits<uint64_t>::max()
                : sum + part;
    return sum;
  }
};

/// Identifies the resource a message queues on. Cross-datacenter messages
/// share the directed datacenter link, except those of a device pair with a
/// separate path (DeviceLink::separatePath); inside a datacenter each
/// directed device pair is its own link.
struct LinkId {
  /// Datacenter indices for a shared cross-DC link, else device indices.
  int src = 0;
  int dst = 0;
  bool crossDc = false;
  /// A cross-DC device pair with its own path (src and dst are devices).
  bool separate = false;
  bool operator==(const LinkId &o) const {
    return src == o.src && dst == o.dst && crossDc == o.crossDc &&
           separate == o.separate;
  }
  bool operator<(const LinkId &o) const {
    if (crossDc != o.crossDc)
      return crossDc < o.crossDc;
    if (separate != o.separate)
      return separate < o.separate;
    return src != o.src ? src < o.src : dst < o.dst;
  }
};

struct Problem {
  std::string name;
  int numMicrobatches = 0;
  std::vector<Datacenter> datacenters;
  std::vector<DcLink> links;
  /// Per device pair overrides of the datacenter links (directed).
  std::vector<DeviceLink> deviceLinks;
  Placement placement = Placement::Unidirectional;
  bool splitBackward = false;
  std::vector<Chunk> chunks;
  /// Activation memory limit per device, in bytes (kUnlimited = none).
  /// Empty means unlimited everywhere.
  std::vector<uint64_t> memoryLimitBytes;
  /// When the budget was given relative to 1F1B, the factor (else nullopt).
  std::optional<double> memoryRelativeTo1F1B;
  /// When it was given relative to 1F1B's peak (every device f * P times
  /// its largest activation), the factor.
  std::optional<double> memoryRelativeTo1F1BPeak;
  /// When it is what device memory leaves: per device, what else it holds
  /// (limit = device memory - staticMemory[d].totalBytes()); else empty.
  std::vector<StaticMemory> staticMemory;
  int dpDegree = 1;
  DpSpan dpSpan = DpSpan::IntraDc;
  /// Gradient buckets per chunk (>= 1). Bucket b holds a 1/dpBuckets share
  /// of the chunk's layers, counted from the last layer (the backward pass
  /// reaches those first), so its collective may start once every
  /// microbatch's W (or B) has done (b + 1) / dpBuckets of its work.
  int dpBuckets = 1;
  /// ZeRO-1: each bucket's gradient is reduce-scattered instead of
  /// all-reduced, and each chunk's parameters are all-gathered before its
  /// first F; the makespan then starts with the all-gathers.
  bool zero1 = false;

  //===--- Derived quantities ---------------------------------------------===//
  int numDevices() const;
  int numChunks() const { return int(chunks.size()); }
  /// Datacenter of a global device index (devices numbered in DC order).
  int dcOfDevice(int device) const;
  /// Directed link cost between two datacenters, if declared.
  const LinkCost *dcLinkCost(int fromDc, int toDc) const;
  /// The per-pair override from src to dst, if any.
  const DeviceLink *deviceLink(int srcDevice, int dstDevice) const;
  /// The link a message from device src to device dst (src != dst) queues
  /// on.
  LinkId linkBetween(int srcDevice, int dstDevice) const;
  /// Alpha-beta cost of a message between two devices: the pair's own
  /// link if given, else their datacenters'; nullptr if none.
  const LinkCost *linkCost(int srcDevice, int dstDevice) const;
  /// Human-readable link name for traces: "east->west" or "dev0->dev1".
  std::string linkName(const LinkId &link) const;
  /// Memory limit of a device (kUnlimited if none).
  uint64_t memoryLimit(int device) const;
  /// Chunks placed on a device, in model order.
  std::vector<int> chunksOnDevice(int device) const;
  /// Duration of the backward work of a chunk (B, or D + W when split),
  /// with the forward a recompute chunk re-runs (sched::wholeBlockMs).
  double backwardTotalMs(int chunk) const;
  /// What F of a recompute chunk keeps: its checkpointBytes, or else the
  /// activation it received (the previous chunk's messageBytes; the first
  /// chunk's own messageBytes), at most its activation.
  uint64_t checkpointBytes(int chunk) const {
    const Chunk &c = chunks[chunk];
    uint64_t received =
        chunk > 0 ? chunks[chunk - 1].messageBytes : c.messageBytes;
    return std::min(c.checkpointBytes.value_or(received), c.activationBytes);
  }
  /// Ring all-reduce time of a chunk's gradient across the DP group;
  /// 0 when dpDegree == 1.
  double allreduceMs(int chunk) const;
  /// Duration of one collective of a chunk under dpBuckets and zero1: an
  /// all-reduce or reduce-scatter moves one bucket's share of the gradient,
  /// an all-gather the whole chunk's parameters. Equals allreduceMs() for an
  /// all-reduce with one bucket; 0 when dpDegree == 1.
  double collectiveMs(int chunk, CollectiveKind kind) const;
  /// The largest per-microbatch forward time of any chunk (T_F).
  double maxForwardMs() const;

  /// Device of chunk c under a placement rule with P devices.
  static int placeChunk(Placement placement, int chunk, int numDevices) {
    return sched::placeChunk(placement, chunk, numDevices);
  }
  /// Per-device limits f * (P - d) * max activation on d (the JSON contract):
  /// what 1F1B holds on device d.
  std::vector<uint64_t> limitsRelativeTo1F1B(double factor) const;
  /// Per-device limits f * P * max activation on d: devices have equal
  /// memory, so every one may hold what 1F1B holds on the busiest (device
  /// 0), as the paper's and the zero-bubble authors' code budget it.
  std::vector<uint64_t> limitsRelativeTo1F1BPeak(double factor) const;
  /// Device memory of a device (0 = unknown).
  uint64_t deviceMemory(int device) const;
};

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_PROBLEM_H
