//===- MemoryBudget.cpp - Activation budgets from device memory -----------===//
//
// The static footprint of a device (weights, gradients, optimizer states by
// ZeRO stage) and the activation budget device memory leaves beside it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/MemoryBudget.h"

#include <algorithm>
#include <cstdio>

using namespace crosspipe::sched;

namespace {
uint64_t ceilDiv(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/// Sizes reach 2^62 per device; products and sums saturate rather than wrap
/// (a saturated footprint exceeds any device's memory).
uint64_t saturatingMul(uint64_t a, uint64_t b) {
  return b != 0 && a > kUnlimited / b ? kUnlimited : a * b;
}
uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > kUnlimited - b ? kUnlimited : a + b;
}

std::string gib(uint64_t bytes) {
  double v = double(bytes) / double(uint64_t(1) << 30);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}
} // namespace

std::vector<StaticMemory>
crosspipe::sched::staticFootprint(const Problem &problem,
                                  const StaticMemorySpec &spec) {
  int n = problem.numDevices();
  std::vector<StaticMemory> out(n);
  uint64_t element = uint64_t(std::max(spec.bytesPerElement, 1));
  uint64_t replicas = uint64_t(std::max(problem.dpDegree, 1));
  std::vector<uint64_t> gradient(n, 0);
  for (const Chunk &c : problem.chunks)
    if (c.device >= 0 && c.device < n)
      gradient[c.device] = saturatingAdd(gradient[c.device], c.gradientBytes);
  for (int d = 0; d < n; ++d) {
    uint64_t parameters = ceilDiv(gradient[d], element);
    uint64_t optimizer = saturatingMul(
        parameters, uint64_t(optimizerBytesPerParameter(int(element))));
    StaticMemory &s = out[d];
    s.weightBytes = gradient[d];
    s.gradientBytes = gradient[d];
    s.optimizerBytes = optimizer;
    if (spec.zeroStage >= 1)
      s.optimizerBytes = ceilDiv(optimizer, replicas);
    if (spec.zeroStage >= 2)
      s.gradientBytes = ceilDiv(gradient[d], replicas);
    if (spec.zeroStage >= 3)
      s.weightBytes = ceilDiv(gradient[d], replicas);
    s.reservedBytes = spec.reservedBytes;
  }
  return out;
}

std::string
crosspipe::sched::limitsFromDeviceMemory(const Problem &problem,
                                         std::vector<uint64_t> &limits) {
  int n = problem.numDevices();
  limits.assign(n, 0);
  for (int d = 0; d < n; ++d) {
    uint64_t memory = problem.deviceMemory(d);
    if (memory == 0)
      return "device " + std::to_string(d) + " has no known memory";
    if (d >= int(problem.staticMemory.size()))
      return "device " + std::to_string(d) + " has no static footprint";
    const StaticMemory &s = problem.staticMemory[d];
    uint64_t fixed = s.totalBytes();
    if (fixed >= memory)
      return "device " + std::to_string(d) + " keeps " + gib(fixed) +
             " GiB of weights (" + gib(s.weightBytes) + "), gradients (" +
             gib(s.gradientBytes) + "), optimizer states (" +
             gib(s.optimizerBytes) + ") and reserve (" + gib(s.reservedBytes) +
             "), which leaves nothing of its " + gib(memory) +
             " GiB for activations";
    limits[d] = memory - fixed;
  }
  return "";
}
