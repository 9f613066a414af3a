//===- Kernels.cu - The CUDA executor's device kernels --------------------===//
//
// Single-warp kernels. Spins read %globaltimer (nanoseconds, common to all
// SMs of a GPU), so a spin that starts late still ends on time and a wait
// until stamp + delay overlaps with the waits of earlier messages.
//
//===----------------------------------------------------------------------===//

#include "cuda/Kernels.h"

namespace crosspipe {
namespace rt {
namespace cuda {
namespace {

__device__ __forceinline__ uint64_t globalTimer() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void spinKernel(uint64_t ns) {
  uint64_t start = globalTimer();
  while (globalTimer() - start < ns) {
  }
}

__global__ void stampKernel(uint64_t *slot) { *slot = globalTimer(); }

__global__ void waitUntilKernel(const uint64_t *stamp, uint64_t delayNs) {
  uint64_t deadline = *stamp + delayNs;
  while (globalTimer() < deadline) {
  }
}

__global__ void tagWriteKernel(uint64_t *tag, uint64_t value) {
  *tag = value;
  __threadfence_system();
}

__global__ void tagCheckKernel(const uint64_t *tag, uint64_t expected,
                               uint64_t ignore, int device, int action,
                               int what, int buffer, int slot,
                               TagError *error) {
  uint64_t found = *(volatile const uint64_t *)tag;
  if ((found & ~ignore) == (expected & ~ignore))
    return;
  // Keep the first mismatch of the step; later ones are usually its echo.
  if (atomicCAS(&error->flag, 0, 1) != 0)
    return;
  error->device = device;
  error->action = action;
  error->what = what;
  error->buffer = buffer;
  error->slot = slot;
  error->found = found;
  error->expected = expected;
  __threadfence_system();
}

} // namespace

cudaError_t launchSpin(uint64_t ns, cudaStream_t stream) {
  spinKernel<<<1, 32, 0, stream>>>(ns);
  return cudaGetLastError();
}

cudaError_t launchStamp(uint64_t *slot, cudaStream_t stream) {
  stampKernel<<<1, 1, 0, stream>>>(slot);
  return cudaGetLastError();
}

cudaError_t launchWaitUntil(const uint64_t *stamp, uint64_t delayNs,
                            cudaStream_t stream) {
  waitUntilKernel<<<1, 1, 0, stream>>>(stamp, delayNs);
  return cudaGetLastError();
}

cudaError_t launchTagWrite(uint64_t *tag, uint64_t value,
                           cudaStream_t stream) {
  tagWriteKernel<<<1, 1, 0, stream>>>(tag, value);
  return cudaGetLastError();
}

cudaError_t launchTagCheck(const uint64_t *tag, uint64_t expected,
                           uint64_t ignore, int device, int action, int what,
                           int buffer, int slot, TagError *error,
                           cudaStream_t stream) {
  tagCheckKernel<<<1, 1, 0, stream>>>(tag, expected, ignore, device, action,
                                      what, buffer, slot, error);
  return cudaGetLastError();
}

} // namespace cuda
} // namespace rt
} // namespace crosspipe
