//===- BlockGraph.h - Which block feeds which, and what it holds -*- C++
//-*-===//
//
// The domain rules of one training step, written once: which whole block of
// a microbatch reads the output of which (F feeds the F of the next chunk and
// its own B or D; the B or D of chunk c + 1 feeds that of chunk c; D feeds
// W), which of those edges carry a message across a stage boundary, and how
// a block holds activation memory (F allocates its chunk's activation part
// by part; B releases it, or D all but what W needs and W the rest, each
// part freeing its slice). The simulator, the verifiers, the lower bounds,
// the execution plan, the greedy and the solver all ask this header; none
// re-derives it.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_BLOCKGRAPH_H
#define CROSSPIPE_SCHEDULE_BLOCKGRAPH_H

#include "crosspipe/Schedule/Schedule.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

namespace crosspipe {
namespace sched {

/// A whole block of one microbatch, named by its kind and chunk; every edge
/// of the graph joins two steps of the same microbatch.
struct Step {
  BlockKind kind = BlockKind::F;
  int chunk = 0;
  bool operator==(const Step &o) const {
    return kind == o.kind && chunk == o.chunk;
  }
  bool operator!=(const Step &o) const { return !(*this == o); }
};

/// At most two steps, inline, so the simulator's hot loop allocates nothing.
class Steps {
public:
  void push(Step s) { at[count++] = s; }
  int size() const { return count; }
  bool empty() const { return count == 0; }
  const Step &operator[](int i) const { return at[i]; }
  const Step *begin() const { return at; }
  const Step *end() const { return at + count; }

private:
  Step at[2];
  int count = 0;
};

/// The dependency graph of one microbatch's blocks across the chunks.
class BlockGraph {
public:
  BlockGraph(int numChunks, bool splitBackward)
      : chunks(numChunks), split(splitBackward) {}
  explicit BlockGraph(const Problem &problem)
      : BlockGraph(problem.numChunks(), problem.splitBackward) {}

  int numChunks() const { return chunks; }
  bool splitBackward() const { return split; }
  /// Whole blocks per chunk and microbatch: F, B, or F, D, W.
  int kindsPerChunk() const { return split ? 3 : 2; }
  /// Index of a kind among a chunk's blocks: F = 0, B or D = 1, W = 2.
  static int slotOf(BlockKind kind) {
    return kind == BlockKind::F ? 0 : kind == BlockKind::W ? 2 : 1;
  }
  BlockKind kindOfSlot(int slot) const {
    return slot == 0 ? BlockKind::F : slot == 2 ? BlockKind::W : backwardKind();
  }
  /// The block that carries the gradient to the previous chunk: D or B.
  BlockKind backwardKind() const { return split ? BlockKind::D : BlockKind::B; }
  /// The last block of a chunk's microbatch, which frees the last of its
  /// activation and completes its parameter gradient: W, or B when fused.
  BlockKind releaseKind() const { return split ? BlockKind::W : BlockKind::B; }
  /// Whether a problem with this graph runs blocks of `kind`.
  bool usesKind(BlockKind kind) const {
    return kind == BlockKind::F ||
           (split ? kind != BlockKind::B : kind == BlockKind::B);
  }

  /// The steps whose output `s` reads, in a fixed order: its first part
  /// waits for the last part of each.
  Steps inputsOf(Step s) const {
    Steps in;
    switch (s.kind) {
    case BlockKind::F:
      if (s.chunk > 0)
        in.push({BlockKind::F, s.chunk - 1});
      break;
    case BlockKind::B:
    case BlockKind::D:
      in.push({BlockKind::F, s.chunk});
      if (s.chunk + 1 < chunks)
        in.push({s.kind, s.chunk + 1});
      break;
    case BlockKind::W:
      in.push({BlockKind::D, s.chunk});
      break;
    }
    return in;
  }
  /// The steps that read the output of `s`, in a fixed order (the next
  /// chunk's before the same chunk's).
  Steps outputsOf(Step s) const {
    Steps out;
    switch (s.kind) {
    case BlockKind::F:
      if (s.chunk + 1 < chunks)
        out.push({BlockKind::F, s.chunk + 1});
      out.push({backwardKind(), s.chunk});
      break;
    case BlockKind::B:
    case BlockKind::D:
      if (s.chunk > 0)
        out.push({s.kind, s.chunk - 1});
      if (s.kind == BlockKind::D)
        out.push({BlockKind::W, s.chunk});
      break;
    case BlockKind::W:
      break;
    }
    return out;
  }

  /// An edge between chunks carries a message (activation forward, gradient
  /// backward) over the stage boundary; an edge inside a chunk carries none.
  static bool crossesStages(Step from, Step to) {
    return from.chunk != to.chunk;
  }
  /// The stage boundary a message crosses, named by its lower chunk (as the
  /// IR, traces and plans name it).
  static int boundaryOf(Step from, Step to) {
    return std::min(from.chunk, to.chunk);
  }
  /// Whether a message sent by `from` is a gradient (else an activation).
  static bool isGradient(Step from) { return from.kind != BlockKind::F; }

private:
  int chunks;
  bool split;
};

/// How one microbatch of a chunk holds activation memory, the paper's M_F,
/// M_D and M_W: F allocates `keptBytes`, the activation, or with
/// recomputation only the checkpoint; a recompute chunk's backward block (B,
/// or D when split) allocates the rest when it starts, so that it holds the
/// whole activation while it runs; the backward block releases all of it
/// but `wgradBytes`, which W releases. Fused backward has no W, so
/// `wgradBytes` is 0 there.
struct ChunkMemory {
  uint64_t activationBytes = 0;
  uint64_t wgradBytes = 0;
  /// What F allocates and keeps until the backward block starts.
  uint64_t keptBytes = 0;
  /// What the backward block allocates when it starts (0 unless the chunk
  /// recomputes).
  uint64_t recomputeBytes() const { return activationBytes - keptBytes; }
  /// What the backward block (B or D) releases.
  uint64_t backwardFreeBytes() const { return activationBytes - wgradBytes; }
  /// The most a microbatch holds outside its backward block: from F to the
  /// backward, then from the backward to W.
  uint64_t outsideBackwardBytes() const {
    return std::max(keptBytes, wgradBytes);
  }
};
/// Inline, with oneMicrobatchBytes, so that the dialect's verifier checks
/// budgets by the same rule without linking the scheduling library.
inline ChunkMemory chunkMemory(const Problem &problem, int chunk) {
  const Chunk &ch = problem.chunks[chunk];
  ChunkMemory mem;
  mem.activationBytes = ch.activationBytes;
  mem.wgradBytes = problem.splitBackward ? ch.heldForWgradBytes() : 0;
  mem.keptBytes =
      ch.recompute ? problem.checkpointBytes(chunk) : ch.activationBytes;
  return mem;
}

/// The activation memory a (sub-)block takes when it starts and gives back
/// when it ends. A sub-block is a slice of the chunk's layers: F part i
/// allocates slice i of what F keeps, and the backward parts run the layers
/// in reverse, so part j of B, D and W works on slice parts - 1 - j: B and
/// D allocate at their start that slice of what recomputation re-creates
/// and release the slice's activation (D less what W still needs), W that.
/// Slices split a size as evenly as bytes allow (sliceBytes), so the parts
/// of a block always add up to the whole. Frees at an instant come before
/// allocations at the same instant.
struct MemoryEffect {
  uint64_t allocBytes = 0;
  uint64_t freeBytes = 0;
};
MemoryEffect memoryEffect(const Problem &problem, const Block &block);

/// The most activation memory a device holds running `order` (its blocks
/// one at a time, each allocating at its start and freeing at its end).
/// Every block's chunk must be in range.
uint64_t peakMemory(const Problem &problem, const std::vector<Block> &order);

/// Slice `slice` of `bytes` cut into `parts` slices: bytes / parts, plus one
/// for the first bytes % parts slices.
inline uint64_t sliceBytes(uint64_t bytes, int parts, int slice) {
  uint64_t n = uint64_t(parts);
  return bytes / n + (uint64_t(slice) < bytes % n ? 1 : 0);
}

/// The activations one microbatch keeps on a device at once in the worst
/// case: every chunk of the device holds what it holds outside its backward
/// block (ChunkMemory::outsideBackwardBytes; the activation unless it
/// recomputes) and one chunk, the one in its backward block, the rest of
/// its activation. What a device needs for a schedule to always exist.
/// Saturates at kUnlimited (sizes from the IR reach 2^63 - 1).
inline uint64_t oneMicrobatchBytes(const Problem &problem, int device) {
  uint64_t total = 0, transient = 0;
  for (int c = 0, e = problem.numChunks(); c < e; ++c) {
    if (problem.chunks[c].device != device)
      continue;
    ChunkMemory mem = chunkMemory(problem, c);
    uint64_t outside = mem.outsideBackwardBytes();
    total = total > kUnlimited - outside ? kUnlimited : total + outside;
    transient = std::max(transient, mem.activationBytes - outside);
  }
  return total > kUnlimited - transient ? kUnlimited : total + transient;
}

/// The activations one microbatch holds on a device at once in every
/// schedule: when the backward of the device's last chunk starts, each of
/// its chunks keeps what its F allocated (ChunkMemory::keptBytes). Equals
/// oneMicrobatchBytes unless a chunk of the device recomputes.
uint64_t leastMicrobatchBytes(const Problem &problem, int device);

/// The most whole blocks (chunks x microbatches x kinds) a problem may have:
/// the simulator and schedulers index blocks and their parts with `int`.
constexpr int64_t kMaxBlocks = std::numeric_limits<int32_t>::max() / 2;

/// Checks that a problem can be scheduled and timed at all: devices, chunks
/// and microbatches exist, counts are in range, every chunk sits on a device
/// and every duration and link cost is finite and non-negative. Returns ""
/// when it can, else one message naming what cannot.
std::string validate(const Problem &problem);

/// Checks that every device's memory budget holds one microbatch's
/// activations (oneMicrobatchBytes); "" when it does, else a message naming
/// the first device that cannot.
std::string validateMemoryBudget(const Problem &problem);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_BLOCKGRAPH_H
