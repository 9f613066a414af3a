//===- MemoryBudget.h - Activation budgets from device memory ---*- C++ -*-===//
//
// A device's activation budget as hardware sets it: its memory less what a
// training step keeps there regardless of the schedule -- the weights, the
// gradients and the optimizer states of its chunks, sharded across the data-
// parallel replicas by the ZeRO stage -- and a reserve for the framework.
// Sizes follow the ZeRO paper's mixed-precision Adam: per parameter the
// weight and its gradient in the element type, and 12 bytes of fp32 master
// weight and moments for 2-byte elements (8 bytes of moments for fp32
// training). A chunk's parameters per GPU are its gradient size over the
// element size. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_MEMORYBUDGET_H
#define CROSSPIPE_SCHEDULE_MEMORYBUDGET_H

#include "crosspipe/Schedule/Problem.h"

#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

struct StaticMemorySpec {
  /// 0 (none), 1 (optimizer states sharded), 2 (and gradients), 3 (and
  /// weights), each across Problem::dpDegree replicas.
  int zeroStage = 0;
  /// Bytes per weight and gradient element (2 for bf16/fp16, 4 for fp32).
  int bytesPerElement = 2;
  /// Held on every device besides (CUDA context, communication buffers,
  /// fragmentation).
  uint64_t reservedBytes = 0;
};

/// Optimizer-state bytes per parameter of mixed-precision Adam: fp32 master
/// weight and two moments (12) for 2-byte elements, the two moments (8) for
/// fp32.
inline int optimizerBytesPerParameter(int bytesPerElement) {
  return bytesPerElement >= 4 ? 8 : 12;
}

/// Per device, what its chunks keep besides activations under `spec`.
std::vector<StaticMemory> staticFootprint(const Problem &problem,
                                          const StaticMemorySpec &spec);

/// Per device, its memory less problem.staticMemory: the activation budget.
/// Returns "" and fills `limits`, or says which device has no known memory
/// or no room left for activations.
std::string limitsFromDeviceMemory(const Problem &problem,
                                   std::vector<uint64_t> &limits);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_MEMORYBUDGET_H
