//===- ScheduleCheck.h - Is a schedule runnable, and where not --*- C++ -*-===//
//
// The MLIR-free checks behind --crosspipe-verify-schedule: every block of
// the problem exactly once (every part of it, cut the same way), each
// device's order respecting the block graph, and the memory budget held at
// every instant of the simulated timeline. Each check returns the first
// fault with the positions it involves, so a caller can point at the
// offending op and the related one.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_SCHEDULECHECK_H
#define CROSSPIPE_SCHEDULE_SCHEDULECHECK_H

#include "crosspipe/Schedule/Simulator.h"

#include <map>
#include <tuple>
#include <vector>

namespace crosspipe {
namespace sched {

/// A position in a schedule: device and index in its order (-1: none).
struct BlockAt {
  int device = -1;
  int index = -1;
};

/// Where every part of every whole block sits; parts[i] is part i.
class BlockIndex {
public:
  const std::vector<BlockAt> *find(BlockKind kind, int chunk, int mb) const {
    auto it = parts.find({int(kind), chunk, mb});
    return it == parts.end() ? nullptr : &it->second;
  }
  std::vector<BlockAt> &at(BlockKind kind, int chunk, int mb) {
    return parts[{int(kind), chunk, mb}];
  }
  void clear() { parts.clear(); }

private:
  std::map<std::tuple<int, int, int>, std::vector<BlockAt>> parts;
};

/// The first thing wrong with a schedule; kind None when nothing is.
struct ScheduleFault {
  enum Kind {
    None,
    /// `at` is cut into block.parts parts, `other` (a part of the same
    /// block) into `otherParts`.
    PartCount,
    /// `at` repeats `block`, first seen at `other`.
    Duplicate,
    /// The whole `block` (or its part `block.part`, when `missingPart`) is
    /// in no program; it belongs on `device`.
    Missing,
    /// `at` runs before `block`, which it depends on, at `other` on the
    /// same device.
    RunsBefore,
    /// `at` raises the activation memory of `device` to `bytes`, above its
    /// budget `limit`.
    OverBudget,
  } kind = None;
  BlockAt at, other;
  Block block;
  bool missingPart = false;
  int device = -1;
  int otherParts = 0;
  uint64_t bytes = 0, limit = 0;
  explicit operator bool() const { return kind != None; }
};

/// Indexes every part of every block and checks that each block of the
/// problem appears exactly once, all its parts cut the same way.
ScheduleFault checkComplete(const Problem &problem, const Schedule &schedule,
                            BlockIndex &index);

/// Checks that no block runs before a block it depends on (its previous
/// part, or the last part of each input) on the same device.
ScheduleFault checkDeviceOrder(const Problem &problem, const Schedule &schedule,
                               const BlockIndex &index);

/// Checks the activation memory of every device against its budget at
/// every instant of a successful simulation (frees before allocations at
/// the same instant).
ScheduleFault checkMemory(const Problem &problem, const Schedule &schedule,
                          const SimResult &sim);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_SCHEDULECHECK_H
