//===- SyntheticStages.cpp - A model-free implementation of the stage ABI -===//
//
// Lets anyone run a schedule without a model: each entry point launches one
// thread block that spins for the block's modelled duration (its chunk's
// time for the kind, divided among the parts, times the run's time scale)
// on the compute stream. It touches no buffer, so a run with synthetic
// stages may use --tag-buffers. Link a model's implementation instead of
// this file to run real stages.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

using namespace crosspipe::rt;

static int spinFor(char kind, int32_t chunk, int32_t parts,
                   cudaStream_t stream) {
  crosspipe_runtime *rt = current();
  if (!rt || chunk < 0 || chunk >= rt->desc.chunks || parts < 1)
    return 1;
  double ms = modelledMs(rt, kind, chunk) / parts;
  return crosspipe_spin(rt, ms, stream) == cudaSuccess ? 0 : 2;
}

extern "C" {

int crosspipe_stage_forward(int32_t chunk, int32_t, int32_t, int32_t parts,
                            const void *, void *, void *, void *,
                            cudaStream_t stream) {
  return spinFor('F', chunk, parts, stream);
}

int crosspipe_stage_backward(int32_t chunk, int32_t, int32_t, int32_t parts,
                             const void *, void *, void *, void *,
                             cudaStream_t stream) {
  return spinFor('B', chunk, parts, stream);
}

int crosspipe_stage_dgrad(int32_t chunk, int32_t, int32_t, int32_t parts,
                          const void *, void *, void *, void *,
                          cudaStream_t stream) {
  return spinFor('D', chunk, parts, stream);
}

int crosspipe_stage_wgrad(int32_t chunk, int32_t, int32_t, int32_t parts,
                          const void *, void *, void *, void *,
                          cudaStream_t stream) {
  return spinFor('W', chunk, parts, stream);
}

} // extern "C"
