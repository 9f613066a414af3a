//===- SyntheticStages.cpp - A model-free implementation of the stage ABI -===//
//
// Lets anyone run a plan without a model: each entry point spins one warp
// for the block's modelled duration (its share of its chunk's time, at the
// run's time scale, which the CUDA executor sets before the call) on the
// compute stream. It touches no buffer, so --tag-buffers is safe with it.
// Link a model's implementation of StageABI.h instead to run real stages.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/StageABI.h"
#include "cuda/Kernels.h"

using namespace crosspipe::rt::cuda;

static int spin(cudaStream_t stream) {
  return launchSpin(crosspipe_cuda_block_ns(), stream) == cudaSuccess ? 0 : 2;
}

extern "C" {

int crosspipe_stage_forward(int32_t, int32_t, int32_t, int32_t, const void *,
                            void *, void *, void *, cudaStream_t stream) {
  return spin(stream);
}

int crosspipe_stage_backward(int32_t, int32_t, int32_t, int32_t, const void *,
                             void *, void *, void *, cudaStream_t stream) {
  return spin(stream);
}

int crosspipe_stage_dgrad(int32_t, int32_t, int32_t, int32_t, const void *,
                          void *, void *, void *, cudaStream_t stream) {
  return spin(stream);
}

int crosspipe_stage_wgrad(int32_t, int32_t, int32_t, int32_t, const void *,
                          void *, void *, void *, cudaStream_t stream) {
  return spin(stream);
}

} // extern "C"
