// UNSUPPORTED: solver
// RUN: crosspipe-opt %s --crosspipe-schedule=algorithm=optimal --verify-diagnostics

// A build configured with CROSSPIPE_ENABLE_SOLVER=OFF has no Gecode solver:
// algorithm=optimal is a clear error at the pipeline, never a fallback.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
// expected-error @+1 {{cannot be scheduled by the optimal solver: this build has no solver (configured with CROSSPIPE_ENABLE_SOLVER=OFF)}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
