//===- BlockGraph.cpp - Problem checks and the memory rule ----------------===//
//
// The one validation of a problem that every scheduler, the simulator and
// the solver run before they trust its numbers, and the one rule of how a
// block holds activation memory (the paper's M_F, M_D and M_W, per part).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

using namespace crosspipe::sched;

namespace {
bool validDuration(double ms) { return std::isfinite(ms) && ms >= 0; }

std::string checkChunk(const Problem &p, int i) {
  const Chunk &ch = p.chunks[i];
  std::string name = "chunk " + std::to_string(i);
  int devices = p.numDevices();
  if (ch.device < 0 || ch.device >= devices)
    return name + " is placed on device " + std::to_string(ch.device) +
           " but the problem has " + std::to_string(devices) + " devices";
  bool ok =
      validDuration(ch.forwardMs) &&
      (p.splitBackward ? validDuration(ch.dgradMs) && validDuration(ch.wgradMs)
                       : validDuration(ch.backwardMs));
  if (!ok)
    return name + " has a negative or non-finite duration";
  if (ch.wgradActivationBytes && *ch.wgradActivationBytes > ch.activationBytes)
    return name + " holds " + std::to_string(*ch.wgradActivationBytes) +
           " bytes for its W, more than its activation of " +
           std::to_string(ch.activationBytes) + " bytes";
  if (ch.checkpointBytes && *ch.checkpointBytes > ch.activationBytes)
    return name + " keeps a checkpoint of " +
           std::to_string(*ch.checkpointBytes) +
           " bytes, more than its activation of " +
           std::to_string(ch.activationBytes) + " bytes";
  if (!validDuration(p.allreduceMs(i)) ||
      !validDuration(p.collectiveMs(i, CollectiveKind::AllGather)) ||
      !validDuration(p.collectiveMs(i, CollectiveKind::ReduceScatter)))
    return name + " has a negative or non-finite all-reduce time";
  return "";
}
} // namespace

MemoryEffect crosspipe::sched::memoryEffect(const Problem &problem,
                                            const Block &block) {
  MemoryEffect effect;
  ChunkMemory mem = chunkMemory(problem, block.chunk);
  int parts = std::max(block.parts, 1);
  // The backward parts run the layers in reverse: part j ends slice
  // parts - 1 - j.
  int reversed = parts - 1 - block.part;
  switch (block.kind) {
  case BlockKind::F:
    effect.allocBytes = sliceBytes(mem.keptBytes, parts, block.part);
    break;
  case BlockKind::B:
    effect.allocBytes = sliceBytes(mem.recomputeBytes(), parts, reversed);
    effect.freeBytes = sliceBytes(mem.activationBytes, parts, reversed);
    break;
  case BlockKind::D:
    effect.allocBytes = sliceBytes(mem.recomputeBytes(), parts, reversed);
    // The slice's activation less the slice of what W needs; never
    // negative since wgradBytes <= activationBytes.
    effect.freeBytes = sliceBytes(mem.activationBytes, parts, reversed) -
                       sliceBytes(mem.wgradBytes, parts, reversed);
    break;
  case BlockKind::W:
    effect.freeBytes = sliceBytes(mem.wgradBytes, parts, reversed);
    break;
  }
  return effect;
}

uint64_t crosspipe::sched::peakMemory(const Problem &problem,
                                      const std::vector<Block> &order) {
  uint64_t held = 0, peak = 0;
  for (const Block &b : order) {
    MemoryEffect effect = memoryEffect(problem, b);
    held += effect.allocBytes;
    peak = std::max(peak, held);
    held -= std::min(held, effect.freeBytes);
  }
  return peak;
}

uint64_t crosspipe::sched::leastMicrobatchBytes(const Problem &problem,
                                                int device) {
  uint64_t total = 0;
  for (int c = 0, e = problem.numChunks(); c < e; ++c)
    if (problem.chunks[c].device == device)
      total += chunkMemory(problem, c).keptBytes;
  return total;
}

std::string crosspipe::sched::validate(const Problem &p) {
  int devices = p.numDevices(), chunks = p.numChunks();
  int m = p.numMicrobatches;
  if (devices <= 0)
    return "the problem has no devices";
  if (chunks <= 0)
    return "the problem has no chunks";
  if (m <= 0)
    return "the problem has " + std::to_string(m) + " microbatches";
  int kinds = BlockGraph(p).kindsPerChunk();
  int64_t blocks = int64_t(chunks) * m * kinds;
  if (blocks > kMaxBlocks)
    return "problem too large to simulate: " + std::to_string(chunks) +
           " chunks x " + std::to_string(m) + " microbatches x " +
           std::to_string(kinds) + " block kinds = " + std::to_string(blocks) +
           " blocks, above the limit of " + std::to_string(kMaxBlocks);
  if (p.dpDegree < 1)
    return "dp degree " + std::to_string(p.dpDegree) + " < 1";
  if (p.dpBuckets < 1)
    return "dp buckets " + std::to_string(p.dpBuckets) + " < 1";
  for (int i = 0; i < chunks; ++i)
    if (std::string err = checkChunk(p, i); !err.empty())
      return err;
  for (const DcLink &link : p.links)
    if (!validDuration(link.cost.latencyMs) ||
        std::isnan(link.cost.bandwidthGbps))
      return "link " + std::to_string(link.fromDc) + "->" +
             std::to_string(link.toDc) + " has a negative or non-finite cost";
  for (const DeviceLink &link : p.deviceLinks) {
    std::string name = "device link " + std::to_string(link.fromDevice) + "->" +
                       std::to_string(link.toDevice);
    if (link.fromDevice < 0 || link.fromDevice >= devices ||
        link.toDevice < 0 || link.toDevice >= devices ||
        link.fromDevice == link.toDevice)
      return name + " does not join two devices of the problem";
    if (!validDuration(link.cost.latencyMs) ||
        std::isnan(link.cost.bandwidthGbps))
      return name + " has a negative or non-finite cost";
  }
  return "";
}

std::string crosspipe::sched::validateMemoryBudget(const Problem &p) {
  for (int d = 0, e = p.numDevices(); d < e; ++d) {
    uint64_t need = oneMicrobatchBytes(p, d), limit = p.memoryLimit(d);
    if (need > limit)
      return "memory budget of device " + std::to_string(d) + " (" +
             std::to_string(limit) +
             " bytes) cannot hold one microbatch, whose activations on it "
             "need " +
             std::to_string(need) + " bytes";
  }
  return "";
}
