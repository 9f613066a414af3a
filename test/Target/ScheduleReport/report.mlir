// RUN: crosspipe-translate --schedule-report %s | FileCheck %s
// RUN: crosspipe-opt %s --crosspipe-schedule=algorithm=greedy | crosspipe-translate --schedule-report | FileCheck %s --check-prefix=GREEDY

// One row per schedule, fastest first: makespan, distance to the lower
// bound, mean bubble, and the peak activations of the device closest to its
// budget.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 2 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @slow for @p algorithm "gpipe" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 0
  }
}

// CHECK:      | schedule | algorithm | makespan (ms) | makespan / lower bound | mean bubble | peak activations (budget) |
// CHECK-NEXT: |---|---|---:|---:|---:|---|
// CHECK-NEXT: | slow | gpipe | 13.0 | 1.000 | 0.538 | 2 MiB (2 MiB) |

// Ties keep module order; the greedy schedule is inserted after the pipeline.
// GREEDY:      | p_greedy | greedy | 13.0 | 1.000 |
// GREEDY-NEXT: | slow | gpipe | 13.0 |
