//===- Schedule.h - Per-device block orders and their timing ---*- C++ -*-===//
//
// A schedule is, for every device, the order in which it runs its compute
// blocks (F, B, or D and W of a chunk and microbatch, possibly cut into equal
// sub-blocks). Transfers between devices are implied by the dependencies and
// go onto their link when the producer ends; DP collectives are implied by
// Problem::dpDegree. Timing is not part of a schedule: the simulator derives
// it (see Simulator.h).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_SCHEDULE_H
#define CROSSPIPE_SCHEDULE_SCHEDULE_H

#include "crosspipe/Schedule/Problem.h"

#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

enum class BlockKind : uint8_t { F, B, D, W };

/// "F", "B", "D" or "W".
const char *blockKindName(BlockKind kind);

struct Block {
  BlockKind kind = BlockKind::F;
  int chunk = 0;
  int mb = 0;
  /// Sub-block `part` of `parts` equal pieces; dependencies on other blocks
  /// attach to part 0 (inputs) and part parts-1 (outputs).
  int part = 0;
  int parts = 1;
  bool operator==(const Block &o) const {
    return kind == o.kind && chunk == o.chunk && mb == o.mb &&
           part == o.part && parts == o.parts;
  }
};

/// Duration of a whole block of `kind` of a chunk: its Chunk time, and for
/// the backward block (B, or D when split) of a recompute chunk also the
/// forward it re-runs first. The one home of block durations: every
/// simulator, scheduler and bound reads them here.
double wholeBlockMs(const Problem &problem, int chunk, BlockKind kind);

/// Duration of a (sub-)block under a problem: its share of wholeBlockMs.
double blockDurationMs(const Problem &problem, const Block &block);

struct Schedule {
  std::string algorithm;
  /// order[d] = blocks of device d in execution order.
  std::vector<std::vector<Block>> order;
};

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_SCHEDULE_H
