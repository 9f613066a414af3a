// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics --crosspipe-verify-schedule

// Each case breaks one rule of a runnable schedule; the error sits at the
// offending op and a note at the related one.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{misses B chunk 0 mb 1 in the program of device 0}}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-note @+1 {{first occurrence here}}
    crosspipe.compute F chunk 0 mb 0
    // expected-error @+1 {{duplicates F chunk 0 mb 0}}
    crosspipe.compute F chunk 0 mb 0
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-note @+1 {{other part here}}
    crosspipe.compute F chunk 0 mb 0 part 0 of 2
    // expected-error @+1 {{is cut into 3 parts, but another part of the same block into 2}}
    crosspipe.compute F chunk 0 mb 0 part 1 of 3
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{misses part 1 of F chunk 0 mb 1 in the program of device 0}}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1 part 0 of 2
    crosspipe.compute B chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    // expected-error @+1 {{runs before F chunk 0 mb 1, which it depends on, on the same device}}
    crosspipe.compute B chunk 0 mb 1
    // expected-note @+1 {{dependency here}}
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
  }
}

// -----

// Device 1 wants microbatch 1 first, but device 0 sends it only after the
// gradient of microbatch 0, which device 1 produces after microbatch 1.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    // expected-error @+1 {{deadlocks: B chunk 0 mb 0 on device 0 waits for B chunk 1 mb 0 on device 1, which can never run}}
    crosspipe.compute B chunk 0 mb 0
    // expected-note @+1 {{device 1 waits for this block (F chunk 0 mb 1) before F chunk 1 mb 1}}
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute F chunk 1 mb 0
    // expected-note @+1 {{device 0 waits for this block (B chunk 1 mb 0) before B chunk 0 mb 0}}
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 1
  }
}

// -----

// GPipe holds two activations on device 1, whose budget is one.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    // expected-error @+1 {{raises the activation memory of device 1 to 2 MiB, above its budget of 1 MiB}}
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 1
  }
}

// -----

// Hand-written times must respect the device order and message latency.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    // expected-note @+1 {{producer here}}
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute F chunk 0 mb 1 [1 ms, 2 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
    crosspipe.compute B chunk 0 mb 1 [11 ms, 13 ms]
  }
  crosspipe.program device 1 {
    // expected-error @+1 {{starts at 1.5 ms, before its input from F chunk 0 mb 0 can arrive (2 ms)}}
    crosspipe.compute F chunk 1 mb 0 [1.5 ms, 2.5 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
    crosspipe.compute F chunk 1 mb 1 [6 ms, 7 ms]
    crosspipe.compute B chunk 1 mb 1 [7 ms, 9 ms]
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    // expected-note @+1 {{previous block here}}
    crosspipe.compute F chunk 0 mb 1 [1 ms, 2 ms]
    // expected-error @+1 {{starts at 1.5 ms, before the previous block on device 0 ends}}
    crosspipe.compute B chunk 0 mb 0 [1.5 ms, 10 ms]
    crosspipe.compute B chunk 0 mb 1 [11 ms, 13 ms]
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
    crosspipe.compute F chunk 1 mb 1 [6 ms, 7 ms]
    crosspipe.compute B chunk 1 mb 1 [7 ms, 9 ms]
  }
}

// -----

// What a schedule carries is checked against the model: the simulated
// annotations of a two-device 1F1B (makespan 10 ms) pass; each case below
// bends one of them.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<10 ms>, makespan = #crosspipe.time<10 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// A block cannot start before the step does.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<10 ms>, makespan = #crosspipe.time<10 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    // expected-error @+1 {{'crosspipe.compute' op starts at -1 ms, before the step begins (0 ms)}}
    crosspipe.compute F chunk 0 mb 0 [-1 ms, 0 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// A block never runs faster than the model.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<10 ms>, makespan = #crosspipe.time<10 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    // expected-error @+1 {{'crosspipe.compute' op runs for 1 ms, shorter than the 2 ms the model gives B chunk 0 mb 0}}
    crosspipe.compute B chunk 0 mb 0 [8 ms, 9 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// The makespan is the simulated one.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{'crosspipe.schedule' op claims a makespan of -5 ms, but the simulation gives 10 ms}}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<10 ms>, makespan = #crosspipe.time<-5 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// A lower bound above the makespan is no bound (a report would show a
// ratio below 1).

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{'crosspipe.schedule' op claims a lower bound of 164 ms, above its simulated makespan of 10 ms}}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<164 ms>, makespan = #crosspipe.time<10 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{'crosspipe.schedule' op claims a negative lower bound (-1 ms)}}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<-1 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// The gap follows from the makespan and the bound.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{'crosspipe.schedule' op claims a gap of 0.5, but its makespan and lower bound give 0.2}}
crosspipe.schedule @s for @p algorithm "manual" attributes {gap = 0.5 : f64, lower_bound = #crosspipe.time<8 ms>, makespan = #crosspipe.time<10 ms>} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// An optimal schedule has proven its makespan.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{'crosspipe.schedule' op claims to be optimal, but its lower bound (8 ms) is below its makespan (10 ms)}}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<8 ms>, makespan = #crosspipe.time<10 ms>, optimal = true} {
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// A program's peak memory and bubble are the simulated ones.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<10 ms>, makespan = #crosspipe.time<10 ms>} {
  // expected-error @+1 {{'crosspipe.program' op claims a peak memory of 0 B, but the simulation gives 1 MiB}}
  crosspipe.program device 0 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<0 B>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" attributes {lower_bound = #crosspipe.time<10 ms>, makespan = #crosspipe.time<10 ms>} {
  // expected-error @+1 {{'crosspipe.program' op claims a bubble of 0.25, but the simulation gives 0.7}}
  crosspipe.program device 0 attributes {bubble = 0.25 : f64} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
  }
  crosspipe.program device 1 attributes {bubble = 0.7 : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
    crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
    crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
  }
}

// -----

// The collectives, when a schedule has any, are a whole layout: every
// chunk has every bucket (here chunk 1 lacks bucket 1 of 2) ...

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

// ... of the one gradient collective the schedule uses.

crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 2
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 125000000 B
}
// expected-error @+1 {{'crosspipe.schedule' op misses the reduce_scatter of chunk 1 bucket 1 of 2 in the program of device 1}}
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
  }
}

// -----

// Under ZeRO-1 every chunk has its all-gather.

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

// D gives back the 60 MiB W does not need, so the second F raises device 0
// to 40 + 100 = 140 MiB, one more than its budget.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @one on @net microbatches 2 placement unidirectional split_backward memory [139 MiB] {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 100 MiB wgrad_activation 40 MiB message 0 B gradient 0 B
}
crosspipe.schedule @hand for @one algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 0
    // expected-error @+1 {{raises the activation memory of device 0 to 140 MiB, above its budget of 139 MiB}}
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
}

// -----

// Sub-blocks hold their slice: half of the second F (50 MiB) after the first
// D and half of its W (40 - 20 + 50 = 70), then the rest (120 MiB), one over
// a 119 MiB budget.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @one on @net microbatches 2 placement unidirectional split_backward memory [119 MiB] {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 100 MiB wgrad_activation 40 MiB message 0 B gradient 0 B
}
crosspipe.schedule @parts for @one algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 part 0 of 2
    crosspipe.compute F chunk 0 mb 0 part 1 of 2
    crosspipe.compute D chunk 0 mb 0 part 0 of 2
    crosspipe.compute D chunk 0 mb 0 part 1 of 2
    crosspipe.compute W chunk 0 mb 0 part 0 of 2
    crosspipe.compute F chunk 0 mb 1 part 0 of 2
    // expected-error @+1 {{raises the activation memory of device 0 to 120 MiB, above its budget of 119 MiB}}
    crosspipe.compute F chunk 0 mb 1 part 1 of 2
    crosspipe.compute W chunk 0 mb 0 part 1 of 2
    crosspipe.compute D chunk 0 mb 1 part 0 of 2
    crosspipe.compute D chunk 0 mb 1 part 1 of 2
    crosspipe.compute W chunk 0 mb 1 part 0 of 2
    crosspipe.compute W chunk 0 mb 1 part 1 of 2
  }
}

// -----

// Recomputation: each F keeps only its 10 MiB checkpoint (20 MiB for two),
// and the first D re-creates the other 90 MiB of its activation when it
// starts: 110 MiB, one over a 109 MiB budget.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @one on @net microbatches 2 placement unidirectional split_backward memory [109 MiB] {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 100 MiB wgrad_activation 40 MiB recompute checkpoint 10 MiB message 0 B gradient 0 B
}
crosspipe.schedule @recompute for @one algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    // expected-error @+1 {{raises the activation memory of device 0 to 110 MiB, above its budget of 109 MiB}}
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
}
