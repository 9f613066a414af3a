// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics --crosspipe-simulate

// The simulator refuses a schedule whose collectives are not a whole
// layout rather than simulating (and annotating) the whole one: here chunk
// 1 lacks bucket 1 of 2, which it would have added as an all-reduce of the
// whole gradient.

crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 2
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
}
// expected-error @+1 {{'crosspipe.schedule' op misses the all_reduce of chunk 1 bucket 1 of 2 in the program of device 1}}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
    crosspipe.collective chunk 0 bucket 0 of 2
    crosspipe.collective chunk 0 bucket 1 of 2
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.collective chunk 1 bucket 0 of 2
  }
}

// -----

// Under ZeRO-1 every chunk needs its all-gather.

crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 2
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
}
// expected-error @+1 {{'crosspipe.schedule' op misses the all_gather of chunk 1 in the program of device 1}}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.collective all_gather chunk 0
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
    crosspipe.collective reduce_scatter chunk 0 bucket 0 of 2
    crosspipe.collective reduce_scatter chunk 0 bucket 1 of 2
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.collective reduce_scatter chunk 1 bucket 0 of 2
    crosspipe.collective reduce_scatter chunk 1 bucket 1 of 2
  }
}

// -----

// A lower bound a solver proved holds for every schedule of the problem, so
// one above the simulated makespan (10 ms) is false and is refused, not
// carried into the report.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{claims a lower bound of 500 ms, above its simulated makespan of 10 ms}}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<500 ms>} {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
}
