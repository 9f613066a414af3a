//===- Kernels.h - The CUDA executor's device kernels -----------*- C++ -*-===//
//
// Everything the CUDA executor itself runs on the GPU (Kernels.cu): spins
// that stand in for modelled time (synthetic blocks, bandwidth windows,
// emulated collectives), time stamps and waits until a stamp plus a delay
// (latencies that overlap), and tag writes and checks. Every launcher calls
// cudaGetLastError right after its launch, so an error names that launch.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CUDA_KERNELS_H
#define CROSSPIPE_RUNTIME_CUDA_KERNELS_H

#include <cuda_runtime.h>
#include <cstdint>

namespace crosspipe {
namespace rt {
namespace cuda {

/// The first tag mismatch of a step (device memory; flag 0 = none).
struct TagError {
  int flag;
  int device, action, what, buffer, slot;
  unsigned long long found, expected;
};

/// What a tag check was checking, for the message.
enum TagWhat : int {
  kWhatInput = 0,
  kWhatStash = 1,
  kWhatMessage = 2,  ///< a send's slot before it leaves
  kWhatReceived = 3, ///< a received message's header (channel order)
  kWhatGrads = 4,
};

/// Tags packed in 64 bits: role (2), chunk (20), mb (20), step (22).
constexpr uint64_t kMbMask = ((1ull << 20) - 1) << 22;

cudaError_t launchSpin(uint64_t ns, cudaStream_t stream);
cudaError_t launchStamp(uint64_t *slot, cudaStream_t stream);
cudaError_t launchWaitUntil(const uint64_t *stamp, uint64_t delayNs,
                            cudaStream_t stream);
cudaError_t launchTagWrite(uint64_t *tag, uint64_t value, cudaStream_t stream);
/// Compares *tag with `expected` outside `ignore` (bits); on a mismatch
/// keeps the first one in `error`.
cudaError_t launchTagCheck(const uint64_t *tag, uint64_t expected,
                           uint64_t ignore, int device, int action, int what,
                           int buffer, int slot, TagError *error,
                           cudaStream_t stream);

} // namespace cuda
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CUDA_KERNELS_H
