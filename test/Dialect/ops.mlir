// RUN: crosspipe-opt %s | FileCheck %s
// RUN: crosspipe-opt %s | crosspipe-opt | FileCheck %s
// RUN: crosspipe-opt %s --mlir-print-op-generic | crosspipe-opt | FileCheck %s

// Every op and attribute round-trips; quantities are normalized to their
// canonical units (ms, Gbps, largest exact binary prefix).

// CHECK-LABEL: crosspipe.cluster @net {
// CHECK-NEXT:    crosspipe.datacenter @east devices 2
// CHECK-NEXT:    crosspipe.datacenter @west devices 2 memory 96 GiB
// CHECK-NEXT:    crosspipe.link @east -> @east latency 0.01 ms bandwidth 200 Gbps
// CHECK-NEXT:    crosspipe.link @west -> @west latency 0.01 ms bandwidth 200 Gbps
// CHECK-NEXT:    crosspipe.link @east -> @west latency 20 ms bandwidth 100 Gbps
// CHECK-NEXT:    crosspipe.link @west -> @east latency 1500 ms bandwidth 0.5 Gbps
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 2 memory 98304 MiB
  crosspipe.link @east -> @east latency 0.01 ms bandwidth 200 Gbps
  crosspipe.link @west -> @west latency 10 us bandwidth 0.2 Tbps
  crosspipe.link @east -> @west latency 20 ms bandwidth 100 Gbps
  crosspipe.link @west -> @east latency 1.5 s bandwidth 500 Mbps
}

// CHECK-LABEL: crosspipe.pipeline @step on @net microbatches 4 placement unidirectional split_backward memory [8 GiB, 6 GiB, 4 GiB, 2 GiB] relative_to_1f1b 1 data_parallel 2 cross_dc {
// CHECK-NEXT:    crosspipe.stage device 0 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
// CHECK:         crosspipe.stage device 3 forward 38 ms dgrad 0.5 ms wgrad 1000 ms activation 1536 MiB message 0 B gradient 1 B
crosspipe.pipeline @step on @net microbatches 4 placement unidirectional split_backward memory [8 GiB, 6 GiB, 4 GiB, 2 GiB] relative_to_1f1b 1.0 data_parallel 2 cross_dc {
  crosspipe.stage device 0 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
  crosspipe.stage device 1 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
  crosspipe.stage device 2 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
  crosspipe.stage device 3 forward 0.038 s dgrad 500 us wgrad 1 s activation 1.5 GiB message 0 B gradient 1 B
}

// A fused-backward pipeline with a wave placement and no memory clause.
// CHECK-LABEL: crosspipe.pipeline @fused on @net microbatches 2 placement wave {
// CHECK-NEXT:    crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
crosspipe.pipeline @fused on @net microbatches 2 placement wave {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 3 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 3 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 KiB message 0 B gradient 0 B
}

// CHECK-LABEL: crosspipe.schedule @s for @step algorithm "manual" attributes {gap = 5.000000e-02 : f64, lower_bound = #crosspipe.time<90 ms>, makespan = #crosspipe.time<100 ms>, optimal = false} {
// CHECK-NEXT:    crosspipe.program device 0 attributes {bubble = 2.500000e-01 : f64, peak_memory = #crosspipe.bytes<2 GiB>} {
// CHECK-NEXT:      crosspipe.compute F chunk 0 mb 0 [0 ms, 38 ms]
// CHECK-NEXT:      crosspipe.compute D chunk 0 mb 0 part 0 of 2
// CHECK-NEXT:      crosspipe.compute D chunk 0 mb 0 part 1 of 2
// CHECK-NEXT:      crosspipe.collective chunk 0 [90 ms, 100 ms]
// CHECK-NEXT:    }
// CHECK-NEXT:    crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [38 ms, 40 ms] arrives 40.01 ms
// CHECK-NEXT:    crosspipe.transfer grad chunk 0 mb 0 from 1 to 0
crosspipe.schedule @s for @step algorithm "manual" attributes {makespan = #crosspipe.time<100 ms>, lower_bound = #crosspipe.time<90 ms>, optimal = false, gap = 0.05 : f64} {
  crosspipe.program device 0 attributes {bubble = 0.25 : f64, peak_memory = #crosspipe.bytes<2048 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 38 ms]
    crosspipe.compute D chunk 0 mb 0 part 0 of 2
    crosspipe.compute D chunk 0 mb 0 part 1 of 2
    crosspipe.collective chunk 0 [90 ms, 100 ms]
  }
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [38 ms, 40 ms] arrives 40.01 ms
  crosspipe.transfer grad chunk 0 mb 0 from 1 to 0
}

// A device pair with its own latency and bandwidth (sharing the datacenter
// link's queue), one with a separate path, stages that say what W keeps of
// their activation, and a budget uniform over the devices.
// CHECK-LABEL: crosspipe.cluster @pairs {
// CHECK-NEXT:    crosspipe.datacenter @a devices 2 memory 80 GiB
// CHECK-NEXT:    crosspipe.datacenter @b devices 2 memory 80 GiB
// CHECK-NEXT:    crosspipe.link @a -> @b latency 20 ms bandwidth 100 Gbps
// CHECK-NEXT:    crosspipe.link @b -> @a latency 20 ms bandwidth 100 Gbps
// CHECK-NEXT:    crosspipe.device_link 1 -> 2 latency 5 ms bandwidth 400 Gbps
// CHECK-NEXT:    crosspipe.device_link 2 -> 1 latency 5 ms bandwidth 400 Gbps separate_path
crosspipe.cluster @pairs {
  crosspipe.datacenter @a devices 2 memory 80 GiB
  crosspipe.datacenter @b devices 2 memory 80 GiB
  crosspipe.link @a -> @b latency 20 ms bandwidth 100 Gbps
  crosspipe.link @b -> @a latency 20 ms bandwidth 100 Gbps
  crosspipe.device_link 1 -> 2 latency 5000 us bandwidth 0.4 Tbps
  crosspipe.device_link 2 -> 1 latency 5 ms bandwidth 400 Gbps separate_path
}

// CHECK-LABEL: crosspipe.pipeline @held on @pairs microbatches 4 placement custom split_backward memory [8 GiB, 8 GiB, 8 GiB, 8 GiB] relative_to_1f1b_peak 1 {
// CHECK-NEXT:    crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB wgrad_activation 512 MiB message 1 MiB gradient 0 B
// CHECK-NEXT:    crosspipe.stage device 2 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB message 0 B gradient 0 B
crosspipe.pipeline @held on @pairs microbatches 4 placement custom split_backward memory [8 GiB, 8 GiB, 8 GiB, 8 GiB] relative_to_1f1b_peak 1.0 {
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB wgrad_activation 0.5 GiB message 1 MiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB message 0 B gradient 0 B
}

// Recomputation: with a checkpoint, with what W keeps, and with the
// default checkpoint (none printed).
// CHECK-LABEL: crosspipe.pipeline @recompute on @pairs microbatches 4 placement custom split_backward {
// CHECK-NEXT:    crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB recompute checkpoint 64 MiB message 1 MiB gradient 0 B
// CHECK-NEXT:    crosspipe.stage device 2 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB wgrad_activation 512 MiB recompute message 0 B gradient 0 B
crosspipe.pipeline @recompute on @pairs microbatches 4 placement custom split_backward {
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB recompute checkpoint 0.0625 GiB message 1 MiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB wgrad_activation 512 MiB recompute message 0 B gradient 0 B
}

// Two recomputing stages on device 0 need 1 + 1 + 3 = 5 MiB of it (see
// invalid.mlir), less than their 8 MiB of activations.
// CHECK-LABEL: crosspipe.pipeline @recompute_budget on @pairs microbatches 2 placement custom memory [5 MiB, 5 MiB, 5 MiB, 5 MiB] {
crosspipe.pipeline @recompute_budget on @pairs microbatches 2 placement custom memory [5 MiB, 5 MiB, 5 MiB, 5 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 4 MiB recompute checkpoint 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 4 MiB recompute message 0 B gradient 0 B
}

// A budget derived from device memory: limit + weights + gradients +
// optimizer states + reserve = 80 GiB on every device.
// CHECK-LABEL: crosspipe.pipeline @hardware on @pairs microbatches 4 placement custom split_backward memory [60 GiB, 60 GiB, 60 GiB, 60 GiB] device_memory weights [2 GiB, 2 GiB, 2 GiB, 2 GiB] gradients [2 GiB, 2 GiB, 2 GiB, 2 GiB] optimizer [12 GiB, 12 GiB, 12 GiB, 12 GiB] reserved 4 GiB {
crosspipe.pipeline @hardware on @pairs microbatches 4 placement custom split_backward memory [60 GiB, 60 GiB, 60 GiB, 60 GiB] device_memory weights [2 GiB, 2 GiB, 2 GiB, 2 GiB] gradients [2 GiB, 2 GiB, 2 GiB, 2 GiB] optimizer [12 GiB, 12 GiB, 12 GiB, 12 GiB] reserved 4096 MiB {
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB message 1 MiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms dgrad 1 ms wgrad 1 ms activation 2 GiB message 0 B gradient 0 B
}
