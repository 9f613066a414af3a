//===- Kernels.cu - The runtime's few device kernels ----------------------===//
//
// Everything the runtime runs on the GPU is a single-thread (or one-warp)
// kernel: spins that stand in for modelled time (a synthetic block, a link's
// bandwidth, a DP all-reduce, a latency deadline), and tag writes and checks
// that prove every consumer read what its producer wrote for this step.
// Spins read %globaltimer (nanoseconds, shared by all SMs), so a spin that
// starts late still ends on time.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

using namespace crosspipe::rt;

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

__global__ void tagWriteKernel(Tag *tag, int role, int chunk, int mb,
                               int step) {
  tag->magic = kTagMagic;
  tag->role = role;
  tag->chunk = chunk;
  tag->mb = mb;
  tag->step = step;
}

__global__ void tagCheckKernel(const Tag *tag, int role, int chunk, int mb,
                               int step, int block, int buffer, int slot,
                               TagError *error) {
  Tag found = *tag;
  if (found.magic == kTagMagic && found.role == role &&
      found.chunk == chunk && found.mb == mb && found.step == step)
    return;
  // Keep the first mismatch of the step; later ones are usually its echo.
  if (atomicCAS(&error->flag, 0, 1) != 0)
    return;
  error->block = block;
  error->buffer = buffer;
  error->slot = slot;
  error->found = found;
  error->role = role;
  error->chunk = chunk;
  error->mb = mb;
  error->step = step;
  __threadfence_system();
}

} // namespace

cudaError_t crosspipe::rt::launchSpin(uint64_t ns, cudaStream_t stream) {
  spinKernel<<<1, 32, 0, stream>>>(ns);
  return cudaGetLastError();
}

cudaError_t crosspipe::rt::launchStamp(uint64_t *slot, cudaStream_t stream) {
  stampKernel<<<1, 1, 0, stream>>>(slot);
  return cudaGetLastError();
}

cudaError_t crosspipe::rt::launchWaitUntil(const uint64_t *stamp,
                                           uint64_t delayNs,
                                           cudaStream_t stream) {
  waitUntilKernel<<<1, 1, 0, stream>>>(stamp, delayNs);
  return cudaGetLastError();
}

cudaError_t crosspipe::rt::launchTagWrite(Tag *tag, int role, int chunk,
                                          int mb, int step,
                                          cudaStream_t stream) {
  tagWriteKernel<<<1, 1, 0, stream>>>(tag, role, chunk, mb, step);
  return cudaGetLastError();
}

cudaError_t crosspipe::rt::launchTagCheck(const Tag *tag, int role,
                                          int chunk, int mb, int step,
                                          int block, int buffer, int slot,
                                          TagError *error,
                                          cudaStream_t stream) {
  tagCheckKernel<<<1, 1, 0, stream>>>(tag, role, chunk, mb, step, block,
                                      buffer, slot, error);
  return cudaGetLastError();
}
