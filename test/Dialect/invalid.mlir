// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics

// Every verifier message of the dialect, one case per split.

crosspipe.cluster @net {
  // expected-error @+1 {{expects at least one device, got 0}}
  crosspipe.datacenter @east devices 0
}

// -----

crosspipe.cluster @net {
  // expected-error @+1 {{expects a positive device memory}}
  crosspipe.datacenter @east devices 1 memory 0 B
}

// -----

// expected-error @+1 {{expects at least one crosspipe.datacenter}}
crosspipe.cluster @net {
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{expects a positive bandwidth, got 0 Gbps}}
  crosspipe.link @east -> @east latency 1 ms bandwidth 0 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{expects a non-negative latency, got -1 ms}}
  crosspipe.link @east -> @east latency -1 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{endpoint @north is not a datacenter of cluster @net}}
  crosspipe.link @east -> @north latency 1 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-note @+1 {{previous link here}}
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
  // expected-error @+1 {{duplicates the link @east -> @east}}
  crosspipe.link @east -> @east latency 2 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  // expected-note @+1 {{see existing symbol definition here}}
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{redefinition of symbol named 'east'}}
  crosspipe.datacenter @east devices 1
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{expected a time unit (s, ms, us, ns), got 'min'}}
  crosspipe.link @east -> @east latency 1 min bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  // expected-error @+1 {{byte size is not a whole number of bytes}}
  crosspipe.datacenter @east devices 1 memory 0.5 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{expects at least one microbatch, got 0}}
crosspipe.pipeline @p on @net microbatches 0 placement custom {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{expects a data-parallel degree of at least 1, got 0}}
crosspipe.pipeline @p on @net microbatches 1 placement custom data_parallel 0 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{expects at least one crosspipe.stage}}
crosspipe.pipeline @p on @net microbatches 1 placement custom {
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom {
  // expected-error @+1 {{expects a positive forward time, got 0 ms}}
  crosspipe.stage device 0 forward 0 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom split_backward {
  // expected-error @+1 {{expects a positive wgrad time, got -2 ms}}
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad -2 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom split_backward {
  // expected-error @+1 {{expects 'dgrad' and 'wgrad' times (and no 'backward') because the pipeline has split_backward}}
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom {
  // expected-error @+1 {{expects a 'backward' time (and no 'dgrad'/'wgrad') because the pipeline does not have split_backward}}
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

// expected-error @+1 {{'@nowhere' does not reference a crosspipe.cluster}}
crosspipe.pipeline @p on @nowhere microbatches 1 placement custom {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  // expected-error @+1 {{is placed on device 2, but cluster @net has 2 devices}}
  crosspipe.stage device 2 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 3
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{unidirectional placement needs one stage per device, got 2 stages on 3 devices}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement interleaved {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  // expected-error @+1 {{is on device 1, but the interleaved placement puts stage 2 on device 0}}
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  // expected-error @+1 {{exchanges messages with stage 0 from device 1 to device 0, but cluster @net has no link @west -> @east}}
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  // expected-error @+1 {{has no link @east -> @east (the network inside datacenter @east)}}
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{memory lists 1 limits, but cluster @net has 2 devices}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB] {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{memory limit of device 1 (1 MiB) cannot hold one microbatch, whose activations on it need 2 MiB}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [4 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  // expected-note @+1 {{first stage on device 1}}
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}

// -----

// Recomputing, each of the two stages on device 0 keeps 1 MiB (the first
// its checkpoint, the second the 1 MiB message it receives) and one of them
// re-creates 3 MiB while its backward runs: 5 MiB, not the 8 MiB of both
// activations.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{memory limit of device 0 (4 MiB) cannot hold one microbatch, whose activations on it need 5 MiB}}
crosspipe.pipeline @p on @net microbatches 1 placement interleaved memory [4 MiB] {
  // expected-note @+1 {{first stage on device 0}}
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 4 MiB recompute checkpoint 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 4 MiB recompute message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{expects a positive relative_to_1f1b factor, got -1}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [4 MiB, 4 MiB] relative_to_1f1b -1.0 {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}

// -----

// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-error @+1 {{data parallelism spans datacenters, but cluster @net has no link between datacenters}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional data_parallel 2 cross_dc {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  // expected-note @+1 {{stage defined here}}
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{is in the program of device 0, but stage 1 runs on device 1}}
    crosspipe.compute F chunk 1 mb 0
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
// expected-note @+1 {{pipeline defined here}}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{refers to chunk 5, but pipeline @p has 2 stages}}
    crosspipe.compute F chunk 5 mb 0
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{refers to microbatch 2, but the pipeline has 2 microbatches}}
    crosspipe.compute F chunk 0 mb 2
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{is a D block, but pipeline @p has a fused backward pass (B)}}
    crosspipe.compute D chunk 0 mb 0
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{needs data parallelism, but pipeline @p has one replica}}
    crosspipe.collective chunk 0
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  // expected-note @+1 {{previous program here}}
  crosspipe.program device 0 {
  }
  // expected-error @+1 {{duplicates the program of device 0}}
  crosspipe.program device 0 {
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{goes from device 0 to 1, but the grad of chunk 0 goes from device 1 to 0}}
  crosspipe.transfer grad chunk 0 mb 0 from 0 to 1
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{leaves the last stage, which has no successor}}
  crosspipe.transfer act chunk 1 mb 0 from 1 to 0
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{ends (1 ms) before it starts (2 ms)}}
    crosspipe.compute F chunk 0 mb 0 [2 ms, 1 ms]
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 0 <= part < parts, got part 2 of 2}}
    crosspipe.compute F chunk 0 mb 0 part 2 of 2
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{sends from device 1 to itself; same-device dependencies need no transfer}}
  crosspipe.transfer act chunk 0 mb 0 from 1 to 1
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{arrives before its bandwidth window ends}}
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 1.5 ms
}

// -----

// expected-error @+1 {{'@p' does not reference a crosspipe.pipeline}}
crosspipe.schedule @s for @p algorithm "manual" {
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  // expected-error @+1 {{is not allowed in a crosspipe.cluster, which holds only crosspipe.datacenter, crosspipe.link and crosspipe.device_link ops}}
  builtin.module {}
}

// -----

// Numbers: `1e5` lexes as the integer 1 and the identifier `e5`.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{an exponent needs a decimal point before it, as in 1.0e5}}
  crosspipe.link @east -> @east latency 1e5 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{an exponent needs a decimal point before it, as in 1.0e5}}
  crosspipe.link @east -> @east latency 1 ms bandwidth 1e+06 Gbps
}

// -----

// Non-finite values are refused at the number: an overflowing literal...
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{expected a finite number}}
  crosspipe.link @east -> @east latency 1.0e999 ms bandwidth 1 Gbps
}

// -----

// ...a hexadecimal NaN or infinity...
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{expected a finite number}}
  crosspipe.link @east -> @east latency 1 ms bandwidth 0x7FF8000000000000 : f64 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
// expected-error @+1 {{expected a finite number}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB] relative_to_1f1b 0x7FF0000000000000 : f64 {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 0 B gradient 0 B
}

// -----

// ...and a finite number that overflows once scaled to the base unit.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{time out of range}}
  crosspipe.link @east -> @east latency 1.0e308 s bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{bandwidth out of range}}
  crosspipe.link @east -> @east latency 1 ms bandwidth 1.0e308 Tbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  // expected-error @+1 {{expected a number}}
  crosspipe.link @east -> @east latency true ms bandwidth 1 Gbps
}

// -----

crosspipe.schedule @s for @p algorithm "manual" attributes {makespan = #crosspipe.time<-1.0e999 ms>} {
// expected-error @-1 {{expected a finite number}}
}

// -----

// Byte sizes reach 2^63 - 1 (8388608 TiB is 2^63).
crosspipe.cluster @net {
  // expected-error @+1 {{byte size out of range (0 to 9223372036854775807 B)}}
  crosspipe.datacenter @east devices 1 memory 8388608 TiB
}

// -----

crosspipe.cluster @net {
  // expected-error @+1 {{byte size out of range (0 to 9223372036854775807 B)}}
  crosspipe.datacenter @east devices 1 memory 1.0e19 B
}

// -----

crosspipe.cluster @net {
  // expected-error @+1 {{byte size out of range (0 to 9223372036854775807 B)}}
  crosspipe.datacenter @east devices 1 memory -1 KiB
}

// -----

// A gap of infinity is a float the verifier refuses.
// expected-error @+1 {{expects a finite 'gap', got inf}}
crosspipe.schedule @s for @p algorithm "manual" attributes {gap = 0x7FF0000000000000 : f64} {
}

// -----

// Counts and indices are at most 2^31 - 1: the model holds them in `int`.
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 'parts' to be at most 2147483647, got 2147483648}}
    crosspipe.compute F chunk 0 mb 0 part 0 of 2147483648
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 'parts' to be at most 2147483647, got 4294967296}}
    crosspipe.compute F chunk 0 mb 0 part 0 of 4294967296
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 'mb' to be at most 2147483647, got 9223372036854775807}}
    crosspipe.compute F chunk 0 mb 9223372036854775807
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 'buckets' to be at most 2147483647, got 4294967296}}
    crosspipe.collective chunk 0 bucket 0 of 4294967296
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 0 <= bucket < buckets, got bucket 0 of 0}}
    crosspipe.collective chunk 0 bucket 0 of 0
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-error @+1 {{expects 'chunk' to be at most 2147483647, got 2147483648}}
    crosspipe.collective chunk 2147483648
  }
}

// -----

// A device of INT64_MAX is the empty key of the verifier's DenseMap.
crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{expects 'device' to be at most 2147483647, got 9223372036854775807}}
  crosspipe.program device 9223372036854775807 {
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{expects a non-negative device, got -9223372036854775808}}
  crosspipe.program device -9223372036854775808 {
  }
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{expects 'dst' to be at most 2147483647, got 4294967296}}
  crosspipe.transfer act chunk 0 mb 0 from 0 to 4294967296
}

// -----

crosspipe.schedule @s for @p algorithm "manual" {
  // expected-error @+1 {{expects non-negative devices, got -1 and 1}}
  crosspipe.transfer act chunk 0 mb 0 from -1 to 1
}

// -----

crosspipe.cluster @net {
  // expected-error @+1 {{expects 'devices' to be at most 2147483647, got 9223372036854775807}}
  crosspipe.datacenter @east devices 9223372036854775807
}

// -----

// expected-error @+1 {{has 2147483648 devices in all; at most 2147483647 are supported}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2147483647
  crosspipe.datacenter @west devices 1
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
// expected-error @+1 {{expects 'microbatches' to be at most 2147483647, got 4294967304}}
crosspipe.pipeline @p on @net microbatches 4294967304 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
// expected-error @+1 {{expects 'dp_degree' to be at most 2147483647, got 4294967296}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional data_parallel 4294967296 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
crosspipe.pipeline @p on @net microbatches 1 placement custom {
  // expected-error @+1 {{expects 'device' to be at most 2147483647, got 2147483648}}
  crosspipe.stage device 2147483648 forward 1 ms backward 1 ms activation 1 B message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  // expected-error @+1 {{joins device 1 to itself}}
  crosspipe.device_link 1 -> 1 latency 1 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  // expected-error @+1 {{expects a positive bandwidth, got 0 Gbps}}
  crosspipe.device_link 0 -> 1 latency 1 ms bandwidth 0 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  // expected-error @+1 {{names device 2, but cluster @net has 2 devices}}
  crosspipe.device_link 0 -> 2 latency 1 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 2
  // expected-note @+1 {{previous link here}}
  crosspipe.device_link 0 -> 2 latency 1 ms bandwidth 1 Gbps
  // expected-error @+1 {{duplicates the link 0 -> 2}}
  crosspipe.device_link 0 -> 2 latency 2 ms bandwidth 1 Gbps
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  // expected-error @+1 {{has separate_path, but both devices are in datacenter @east, where every device pair has its own link}}
  crosspipe.device_link 0 -> 1 latency 1 ms bandwidth 1 Gbps separate_path
}

// -----

// A device link stands in for the missing datacenter link, one way only.
// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.device_link 0 -> 1 latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB message 1 MiB gradient 0 B
  // expected-error @+1 {{exchanges messages with stage 0 from device 1 to device 0, but cluster @net has no link @west -> @east}}
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 MiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  // expected-error @+1 {{has 'wgrad_activation' but the pipeline does not have split_backward (B releases the whole activation)}}
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB wgrad_activation 1 KiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional split_backward {
  // expected-error @+1 {{expects 'wgrad_activation' (2 MiB) to be at most its 'activation' (1 MiB)}}
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB wgrad_activation 2 MiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional split_backward {
  // expected-error @+1 {{expects 'checkpoint' (2 MiB) to be at most its 'activation' (1 MiB)}}
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB recompute checkpoint 2 MiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  // expected-error @+1 {{has a 'checkpoint' but does not 'recompute' (the forward keeps the whole activation)}}
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB message 0 B gradient 0 B {checkpoint = #crosspipe.bytes<1 KiB>}
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
// expected-error @+1 {{expects a positive relative_to_1f1b_peak factor, got 0}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB] relative_to_1f1b_peak 0 {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
// expected-error @+1 {{lists 1 device_memory gradients for 2 memory limits}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB, 1 GiB] device_memory weights [1 GiB, 1 GiB] gradients [1 GiB] optimizer [1 GiB, 1 GiB] reserved 0 B {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 MiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  // expected-note @+1 {{datacenter defined here}}
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
// expected-error @+1 {{derives the memory limit of device 0 from device memory, but datacenter @east declares none}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB] device_memory weights [1 GiB] gradients [1 GiB] optimizer [1 GiB] reserved 0 B {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB message 0 B gradient 0 B
}

// -----

crosspipe.cluster @net {
  // expected-note @+1 {{datacenter defined here}}
  crosspipe.datacenter @east devices 1 memory 8 GiB
  crosspipe.link @east -> @east latency 0 ms bandwidth 1 Gbps
}
// expected-error @+1 {{memory limit of device 0 (1 GiB) plus its weights, gradients, optimizer states and reserve come to 5 GiB, not the 8 GiB of datacenter @east}}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB] device_memory weights [1 GiB] gradients [1 GiB] optimizer [1 GiB] reserved 1 GiB {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 MiB message 0 B gradient 0 B
}
