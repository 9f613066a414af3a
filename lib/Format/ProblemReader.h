//===- ProblemReader.h - Schema reader for the problem JSON -----*- C++ -*-===//
//
// ProblemReader walks the experiment description top-down through Node and
// fills a sched::Problem. Its work is split over three files: ProblemJson.cpp
// reads the cluster, network and data parallelism (and holds the public
// entry points), ProblemStages.cpp reads the stages and checks the
// cross-field invariants (placement, links the pipeline needs, memory), and
// ProblemModel.cpp derives the stages from "model" and "hardware" instead.
// The limits below keep derived quantities (per-device vectors, byte sums,
// the relative-to-1F1B products in Problem.cpp) finite and small. Internal to
// CrossPipeFormat.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_FORMAT_PROBLEMREADER_H
#define CROSSPIPE_LIB_FORMAT_PROBLEMREADER_H

#include "JsonReader.h"

#include "crosspipe/Schedule/Problem.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace crosspipe {
namespace json_detail {

inline constexpr int64_t kMaxMicrobatches = 1000000;
inline constexpr int64_t kMaxDevices = 16384;
inline constexpr int64_t kMaxDpDegree = 1000000;
inline constexpr double kMaxMs = 1e9;
inline constexpr double kMaxGbps = 1e9;
/// 1 kbit/s: slower links would make a 1 TiB message take longer than any
/// time the simulator can add up without losing all precision.
inline constexpr double kMinGbps = 1e-6;
/// Stages, and blocks of one kind (stages x microbatches): bounds on the
/// work and memory of the schedulers, far beyond any real pipeline.
inline constexpr int64_t kMaxStages = 1000000;
inline constexpr int64_t kMaxBlocksPerKind = 100000000;
/// Bytes of all stages together (each kind summed over stages, activations
/// also over microbatches): 2^62 keeps every per-device sum of them exact in
/// uint64.
inline constexpr double kMaxTotalBytes = 4611686018427387904.0;
inline constexpr double kMaxLatencyMs = 1e9;
/// 1 TiB per chunk and microbatch: with kMaxDevices and kMaxRelative the
/// relative-to-1F1B product stays below 2^63.
inline constexpr double kMaxChunkMiB = 1048576;
inline constexpr double kMaxLimitMiB =
    1099511627776.0; // 2^40 MiB = 2^60 bytes.
inline constexpr double kMaxRelative = 100;
inline constexpr double kMaxDeviceMemoryGiB = 1048576;
/// Model shapes: far beyond any real model, small enough that every derived
/// size and FLOP count stays exact in 64 bits.
inline constexpr int64_t kMaxModelWidth = 1 << 20;
inline constexpr int64_t kMaxModelLayers = 100000;
inline constexpr int64_t kMaxTokens = 1 << 24;
inline constexpr int64_t kMaxVocab = int64_t(1) << 30;
inline constexpr double kMaxTflops = 1e9;

class ProblemReader {
public:
  explicit ProblemReader(const Node &root) : root(root) {}
  sched::Problem read();

private:
  void readDatacenters();
  sched::LinkCost readLinkCost(const Node &node);
  void readNetwork();
  void readLinks(const Node &links);
  /// A network.links entry with "devices": one pair's own latency and
  /// bandwidth, both directions.
  void readDeviceLink(const Node &link, const Node &devices, std::size_t index);
  void readDataParallel();
  void readStages();
  /// Derives the stages from "model" and "hardware" (ProblemModel.cpp).
  void readModel(const Node &model);
  /// The number of chunks the model is cut into: "chunks", else what the
  /// placement implies.
  int modelChunkCount(const Node &model);
  sched::Chunk readStage(const Node &stage, int index, int numStages);
  void placeStages(const Node &stages);
  void checkPipelineLinks();
  void checkDataParallelLinks();
  /// Checks stages x microbatches and the byte sums against the limits.
  void checkTotals(const Node &stagesOrModel);
  void readMemory();
  /// memory.device_memory: the budget device memory leaves.
  void readDeviceMemory(const Node &node);

  const Node &root;
  sched::Problem p;
  std::unordered_map<std::string, int> dcIndex;
  /// Each datacenter's own "intra_dc", if given.
  std::vector<std::optional<Node>> dcIntra;
  std::optional<Node> network;
  /// Which network.links entry gave each directed device pair.
  std::map<std::pair<int, int>, std::size_t> deviceLinkBy;
  std::optional<Node> dataParallel;
  /// data_parallel.replicas_share_links, read with the model.
  bool replicasShareLinks = true;
  std::string placementName;
  /// Per stage, the explicit "device" if any.
  std::vector<std::optional<int>> deviceOverride;
  /// Per explicit stage, whether it gives gradient_mib.
  std::vector<bool> gradientGiven;
  /// Costs come from "model"; its dtype sizes the weights.
  bool modelGiven = false;
  int parameterElementBytes = 2;
};

} // namespace json_detail
} // namespace crosspipe

#endif // CROSSPIPE_LIB_FORMAT_PROBLEMREADER_H
