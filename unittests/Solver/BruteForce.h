//===- BruteForce.h - Exhaustive optimum of tiny problems -------*- C++ -*-===//
//
// The reference the solver is checked against: every combination of
// per-device block orders that respects the dependencies between blocks of
// the same device, timed by the simulator, kept if it fits the memory budget.
// Unlike the solver it does not assume that blocks of one type run in
// microbatch order, so agreement also checks that this restriction loses no
// optimum. Exponential; only for a handful of blocks per device.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_SOLVER_BRUTEFORCE_H
#define CROSSPIPE_UNITTESTS_SOLVER_BRUTEFORCE_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"
#include "crosspipe/Schedule/Simulator.h"

#include <cmath>
#include <functional>
#include <vector>

namespace crosspipe {
namespace sched {
namespace test {

/// Whether `a` must run before `b` when both are on one device: the direct
/// dependencies of the model (F chain forward, backward chain back, F before
/// the backward, D before W), which the simulator rejects out of order.
inline bool mustPrecede(const Problem &p, const Block &a, const Block &b) {
  if (a.mb != b.mb)
    return false;
  bool aBack = a.kind == BlockKind::B || a.kind == BlockKind::D;
  bool bBack = b.kind == BlockKind::B || b.kind == BlockKind::D;
  if (a.kind == BlockKind::F && b.kind == BlockKind::F)
    return a.chunk < b.chunk;
  // The whole forward pass of a microbatch precedes its backward pass.
  if (a.kind == BlockKind::F)
    return bBack || b.kind == BlockKind::W;
  if (aBack && bBack)
    return a.chunk > b.chunk;
  if (aBack && b.kind == BlockKind::W)
    return a.chunk >= b.chunk;
  return false;
}

/// All orders of one device's blocks that respect mustPrecede.
inline std::vector<std::vector<Block>>
deviceOrders(const Problem &p, const std::vector<Block> &blocks) {
  std::vector<std::vector<Block>> out;
  std::vector<Block> current;
  std::vector<bool> used(blocks.size(), false);
  std::function<void()> rec = [&] {
    if (current.size() == blocks.size()) {
      out.push_back(current);
      return;
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (used[i])
        continue;
      bool ready = true;
      for (size_t j = 0; j < blocks.size() && ready; ++j)
        if (!used[j] && j != i && mustPrecede(p, blocks[j], blocks[i]))
          ready = false;
      if (!ready)
        continue;
      used[i] = true;
      current.push_back(blocks[i]);
      rec();
      current.pop_back();
      used[i] = false;
    }
  };
  rec();
  return out;
}

/// Every device's blocks, in (chunk, microbatch, kind) order.
inline std::vector<std::vector<Block>> blocksByDevice(const Problem &p) {
  std::vector<std::vector<Block>> blocks(p.numDevices());
  for (int c = 0; c < p.numChunks(); ++c)
    for (int mb = 0; mb < p.numMicrobatches; ++mb) {
      std::vector<BlockKind> kinds = {BlockKind::F};
      if (p.splitBackward)
        kinds.insert(kinds.end(), {BlockKind::D, BlockKind::W});
      else
        kinds.push_back(BlockKind::B);
      for (BlockKind k : kinds) {
        Block b;
        b.kind = k;
        b.chunk = c;
        b.mb = mb;
        blocks[p.chunks[c].device].push_back(b);
      }
    }
  return blocks;
}

/// How many schedules bruteForceOptimum() would simulate.
inline double bruteForceSize(const Problem &p) {
  double size = 1;
  for (const std::vector<Block> &blocks : blocksByDevice(p))
    size *= double(deviceOrders(p, blocks).size());
  return size;
}

/// The least simulated makespan over all valid schedules that fit the
/// budget; infinity if none does.
inline double bruteForceOptimum(const Problem &p) {
  int devices = p.numDevices();
  std::vector<std::vector<Block>> blocks = blocksByDevice(p);
  std::vector<std::vector<std::vector<Block>>> options(devices);
  for (int d = 0; d < devices; ++d)
    options[d] = deviceOrders(p, blocks[d]);
  double best = INFINITY;
  Schedule s;
  s.order.resize(devices);
  std::function<void(int)> rec = [&](int d) {
    if (d == devices) {
      SimResult r = simulate(p, s);
      if (!r.ok)
        return;
      for (int x = 0; x < devices; ++x)
        if (r.peakMemoryBytes[x] > p.memoryLimit(x))
          return;
      best = std::min(best, r.makespanMs);
      return;
    }
    for (const std::vector<Block> &o : options[d]) {
      s.order[d] = o;
      rec(d + 1);
    }
  };
  rec(0);
  return best;
}

} // namespace test
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_SOLVER_BRUTEFORCE_H
