// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics --crosspipe-verify-schedule

// Transfers and collective spans follow from the block order under the
// model, so a schedule need not carry them; when it does, they must be the
// simulated ones exactly. One broken annotation per case. Simulated here:
// act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 3 ms, and
// grad chunk 0 mb 0 from 1 to 0 [6 ms, 7 ms] arrives 8 ms.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 3 ms
  crosspipe.transfer grad chunk 0 mb 0 from 1 to 0 [6 ms, 7 ms] arrives 8 ms
  // expected-error @+1 {{is no message of the model: no block sends act chunk 0 mb 1 to another device}}
  crosspipe.transfer act chunk 0 mb 1 from 0 to 1
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
  // expected-note @+1 {{first occurrence here}}
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1
  // expected-error @+1 {{repeats act chunk 0 mb 0}}
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 3 ms
  // expected-error @+1 {{holds its link over [6 ms, 6.5 ms] and arrives at 7.5 ms, but the simulation gives [6 ms, 7 ms] and 8 ms}}
  crosspipe.transfer grad chunk 0 mb 0 from 1 to 0 [6 ms, 6.5 ms] arrives 7.5 ms
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{carries transfers, but not grad chunk 0 mb 0 from 1 to 0, which the simulation sends}}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 3 ms
}

// -----

// A collective's span is the model's: here the all-reduce of chunk 1 is
// stretched.

crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 2
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [5 ms, 7 ms]
    crosspipe.collective chunk 0 [7 ms, 10 ms]
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0 [1.5 ms, 2.5 ms]
    crosspipe.compute B chunk 1 mb 0 [2.5 ms, 4.5 ms]
    // expected-error @+1 {{runs [4.5 ms, 9 ms], but the simulation gives [4.5 ms, 7.5 ms]}}
    crosspipe.collective chunk 1 [4.5 ms, 9 ms]
  }
}
