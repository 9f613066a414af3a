//===- MemoryTestUtil.h - Hand-checked memory effects and peaks -*- C++ -*-===//
//
// What the memory tests (MemoryModelTest, RecomputeTest) share: a one-device
// problem whose orders are free of communication, so that a peak depends on
// the order alone; the allocation and release of one (sub-)block; and the
// simulator's peak of an order, checked against peakMemory().
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_SCHEDULE_MEMORYTESTUTIL_H
#define CROSSPIPE_UNITTESTS_SCHEDULE_MEMORYTESTUTIL_H

#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Simulator.h"

#include "TestProblems.h"

#include <gtest/gtest.h>

#include <optional>

namespace crosspipe {
namespace sched {
namespace test {

/// One device, one chunk, F = D = W = 1 ms (B = 1 ms fused).
inline Problem singleChunk(bool split, int microbatches, uint64_t activation,
                           std::optional<uint64_t> held) {
  Problem p = makeUniform(1, 1, microbatches, split, 1, 1, split ? 1 : 0, 0, 0);
  p.chunks[0].activationBytes = activation;
  p.chunks[0].wgradActivationBytes = held;
  return p;
}

struct Effect {
  uint64_t alloc, free;
};

/// What part `part` of `parts` of chunk 0's `kind` block allocates and frees.
inline Effect effect(const Problem &p, BlockKind kind, int part, int parts) {
  MemoryEffect e = memoryEffect(p, blk(kind, 0, 0, part, parts));
  return {e.allocBytes, e.freeBytes};
}

/// The simulator's peak of `order` on the one device, which must be
/// peakMemory()'s.
inline uint64_t peakOf(const Problem &p, const std::vector<Block> &order) {
  Schedule s;
  s.order = {order};
  SimResult r = simulate(p, s);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.ok ? r.peakMemoryBytes[0] : 0, peakMemory(p, order));
  return r.ok ? r.peakMemoryBytes[0] : 0;
}

} // namespace test
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_SCHEDULE_MEMORYTESTUTIL_H
