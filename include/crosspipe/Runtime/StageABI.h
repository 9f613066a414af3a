/*===- StageABI.h - The C ABI between generated plans and the model -------===*
 *
 * A plan never computes anything itself: for every compute block of a
 * device's program the CUDA executor (runtime/cuda/) calls one of the four
 * entry points below on the device's compute stream, and the model (the
 * user's code) enqueues the block's kernels there. The runtime ships a
 * synthetic implementation (runtime/cuda/SyntheticStages.cpp: one warp that
 * spins for crosspipe_cuda_block_ns()) so a plan can run without a model.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CROSSPIPE_RUNTIME_STAGEABI_H
#define CROSSPIPE_RUNTIME_STAGEABI_H

#include <cuda_runtime.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every entry point receives:
 *   chunk, mb     the model chunk (pipeline stage) and the microbatch;
 *   part, parts   the sub-block (0 of 1 unless the schedule cut the block);
 *   input         F: the activation from chunk - 1 (NULL on chunk 0);
 *                 B, D: the gradient from chunk + 1 (NULL on the last
 *                 chunk); W: NULL. Valid for all parts.
 *   output        F: where to write the activation for chunk + 1 (NULL on
 *                 the last chunk); B, D: the gradient for chunk - 1 (NULL
 *                 on chunk 0); W: NULL. Its size is the chunk boundary's
 *                 message size; the runtime sends it after the last part.
 *   stash         this microbatch's activation memory (NULL under the
 *                 runner's --tag-buffers, which keeps only its tag) of the chunk (the
 *                 stage's activation size), written by F and read by B or
 *                 D and W of the same microbatch;
 *   grads         the chunk's parameter-gradient buffer (its gradient size)
 *                 for B and W, which accumulate into it; NULL for F and D.
 *                 With data parallelism it is all-reduced after the chunk's
 *                 last B or W.
 *   stream        the device's compute stream.
 *
 * An entry point must only enqueue work on `stream`: no synchronization,
 * no allocation, no other stream (the plan's events order the streams, and
 * the runtime times the block with events around the call). Return 0 on
 * success; anything else stops the run with a message that names the
 * device, block and microbatch.
 */
int crosspipe_stage_forward(int32_t chunk, int32_t mb, int32_t part,
                            int32_t parts, const void *input, void *output,
                            void *stash, void *grads, cudaStream_t stream);
int crosspipe_stage_backward(int32_t chunk, int32_t mb, int32_t part,
                             int32_t parts, const void *input, void *output,
                             void *stash, void *grads, cudaStream_t stream);
int crosspipe_stage_dgrad(int32_t chunk, int32_t mb, int32_t part,
                          int32_t parts, const void *input, void *output,
                          void *stash, void *grads, cudaStream_t stream);
int crosspipe_stage_wgrad(int32_t chunk, int32_t mb, int32_t part,
                          int32_t parts, const void *input, void *output,
                          void *stash, void *grads, cudaStream_t stream);

/* While an entry point runs: the block's modelled duration (its share of
 * the chunk's time for its kind, at the run's time scale) in nanoseconds. */
uint64_t crosspipe_cuda_block_ns(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CROSSPIPE_RUNTIME_STAGEABI_H */
