// REQUIRES: solver
// RUN: crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=60" --crosspipe-verify-schedule | FileCheck %s
// RUN: crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=60" --crosspipe-simulate --crosspipe-verify-schedule | FileCheck %s --check-prefix=SIM
// RUN: crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=60 threads=2" | FileCheck %s
// RUN: crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=60" | crosspipe-translate --export-chrome-trace | FileCheck %s --check-prefix=TRACE
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=optimal sub-blocks=2" 2>&1 | FileCheck %s --check-prefix=SUBBLOCKS
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=0" 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=optimal threads=0" 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=60 time-resolution=0.5" --crosspipe-verify-schedule | FileCheck %s --check-prefix=COARSE
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=greedy time-resolution=0.5" 2>&1 | FileCheck %s --check-prefix=RESOLUTION-GREEDY
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-resolution=-1" 2>&1 | FileCheck %s --check-prefix=RESOLUTION-RANGE

// Wave placement over three devices in two datacenters, a budget of three
// activations per device and DP all-reduces of different sizes: the solver
// proves 83 ms optimal (the greedy finds a longer schedule here), and the
// schedule carries its makespan, the proven bound, the gap and the proof.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 10000 Gbps
  crosspipe.link @west -> @west latency 0 ms bandwidth 10000 Gbps
  crosspipe.link @east -> @west latency 2 ms bandwidth 1000 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 1000 Gbps
}
crosspipe.pipeline @p on @net microbatches 4 placement wave memory [3 MiB, 3 MiB, 3 MiB] data_parallel 2 cross_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 250000000 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 375000000 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 250000000 B
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 375000000 B
}

// The model's unit is the coarsest that makes every duration exact (0.1 ms:
// the 1.5 ms all-reduce of 375 MB), so the proof is exact.
// CHECK-LABEL: crosspipe.schedule @p_optimal for @p algorithm "optimal" attributes {gap = 0.000000e+00 : f64, lower_bound = #crosspipe.time<83 ms>, makespan = #crosspipe.time<83 ms>, optimal = true, optimal_within_resolution = true, resolution = #crosspipe.time<0.1 ms>} {
// CHECK-COUNT-3: crosspipe.program device
// CHECK-NOT:     crosspipe.program

// Simulating keeps the proven bound, and the timeline reaches the claim.
// SIM-LABEL: crosspipe.schedule @p_optimal for @p algorithm "optimal" attributes {gap = 0.000000e+00 : f64, lower_bound = #crosspipe.time<83 ms>, makespan = #crosspipe.time<83 ms>, optimal = true, optimal_within_resolution = true, resolution = #crosspipe.time<0.1 ms>} {
// SIM:         crosspipe.collective chunk {{[0-5]}} [{{[0-9.]+}} ms, 83 ms]

// TRACE: "otherData": {"algorithm":"optimal","gap":0.0,"lower_bound_ms":83.0,"makespan_ms":83.0,"optimal":true,"problem":"p"}

// SUBBLOCKS: error: sub-blocks applies to the greedy; the optimal solver schedules whole blocks
// LIMIT: error: time-limit must be positive and threads at least 1, got

// A coarser unit than the durations need: they are rounded up to 0.5 ms,
// the solver proves the optimum of that model (84 ms) and keeps its seed,
// the greedy's 83 ms schedule, which is better; the bound is discounted by
// what the rounding can add along a path, so the result is optimal within
// the resolution, not proven optimal.
// COARSE-LABEL: crosspipe.schedule @p_optimal for @p algorithm "optimal" attributes {gap = {{.*}}, makespan = #crosspipe.time<83 ms>, optimal = false, optimal_within_resolution = true, resolution = #crosspipe.time<0.5 ms>} {

// RESOLUTION-GREEDY: error: time-resolution applies to the optimal solver
// RESOLUTION-RANGE: error: time-resolution must be a number of ms from 0 (automatic) to 1000000, got -1
