// RUN: crosspipe-opt %s --split-input-file --crosspipe-schedule=algorithm=1f1b | FileCheck %s --check-prefix=ONEF
// RUN: crosspipe-opt %s --split-input-file --crosspipe-schedule="algorithm=gpipe memory-unlimited=true" --crosspipe-verify-schedule | FileCheck %s --check-prefix=GPIPE
// RUN: crosspipe-opt %s --split-input-file --crosspipe-schedule="algorithm=greedy sub-blocks=2" --crosspipe-verify-schedule | FileCheck %s --check-prefix=GREEDY
// RUN: crosspipe-opt %s --split-input-file --crosspipe-schedule="algorithm=1f1b name=mine" --crosspipe-schedule="algorithm=1f1b name=mine" | FileCheck %s --check-prefix=NAMED

// Two devices, three microbatches, fused backward, no memory limit.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 100 Gbps
}
crosspipe.pipeline @p on @net microbatches 3 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}

// 1F1B: device 0 warms up with two forwards (P - d = 2), then alternates.
// ONEF-LABEL: crosspipe.schedule @p_1f1b for @p algorithm "1f1b" {
// ONEF-NEXT:    crosspipe.program device 0 {
// ONEF-NEXT:      crosspipe.compute F chunk 0 mb 0
// ONEF-NEXT:      crosspipe.compute F chunk 0 mb 1
// ONEF-NEXT:      crosspipe.compute B chunk 0 mb 0
// ONEF-NEXT:      crosspipe.compute F chunk 0 mb 2
// ONEF-NEXT:      crosspipe.compute B chunk 0 mb 1
// ONEF-NEXT:      crosspipe.compute B chunk 0 mb 2
// ONEF-NEXT:    }
// ONEF-NEXT:    crosspipe.program device 1 {
// ONEF-NEXT:      crosspipe.compute F chunk 1 mb 0
// ONEF-NEXT:      crosspipe.compute B chunk 1 mb 0
// ONEF-NEXT:      crosspipe.compute F chunk 1 mb 1
// ONEF-NEXT:      crosspipe.compute B chunk 1 mb 1
// ONEF-NEXT:      crosspipe.compute F chunk 1 mb 2
// ONEF-NEXT:      crosspipe.compute B chunk 1 mb 2
// ONEF-NEXT:    }
// ONEF-NEXT:  }

// GPipe: all forwards, then all backwards.
// GPIPE-LABEL: crosspipe.schedule @p_gpipe for @p algorithm "gpipe" {
// GPIPE-NEXT:    crosspipe.program device 0 {
// GPIPE-NEXT:      crosspipe.compute F chunk 0 mb 0
// GPIPE-NEXT:      crosspipe.compute F chunk 0 mb 1
// GPIPE-NEXT:      crosspipe.compute F chunk 0 mb 2
// GPIPE-NEXT:      crosspipe.compute B chunk 0 mb

// The greedy writes a complete schedule that the verifier accepts; with
// sub-blocks it may cut blocks into parts.
// GREEDY-LABEL: crosspipe.schedule @p_greedy for @p algorithm "greedy" {
// GREEDY-COUNT-2: crosspipe.program device
// GREEDY-NOT:   crosspipe.schedule

// Scheduling again under the same name replaces the schedule.
// NAMED-COUNT-1: crosspipe.schedule @mine
// NAMED-NOT:     crosspipe.schedule
// NAMED:         // -----

// -----

// Split backward, two datacenters, a budget as 1F1B: the greedy stays
// within it (the verifier checks every instant).
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 2
  crosspipe.link @east -> @east latency 0 ms bandwidth 1000 Gbps
  crosspipe.link @west -> @west latency 0 ms bandwidth 1000 Gbps
  crosspipe.link @east -> @west latency 20 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 20 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @q on @net microbatches 6 placement unidirectional split_backward memory [4 MiB, 3 MiB, 2 MiB, 1 MiB] relative_to_1f1b 1.0 {
  crosspipe.stage device 0 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 4 MiB gradient 0 B
  crosspipe.stage device 1 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 4 MiB gradient 0 B
  crosspipe.stage device 2 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 4 MiB gradient 0 B
  crosspipe.stage device 3 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 0 B gradient 0 B
}
// ONEF-LABEL: crosspipe.schedule @q_1f1b for @q algorithm "1f1b"
// ONEF:         crosspipe.program device 3 {
// ONEF-NEXT:      crosspipe.compute F chunk 3 mb 0
// ONEF-NEXT:      crosspipe.compute D chunk 3 mb 0
// ONEF-NEXT:      crosspipe.compute W chunk 3 mb 0
// ONEF-NEXT:      crosspipe.compute F chunk 3 mb 1
// GREEDY-LABEL: crosspipe.schedule @q_greedy for @q algorithm "greedy"
// With memory-unlimited the budget is gone from the pipeline, so GPipe fits.
// GPIPE-LABEL: crosspipe.pipeline @q on @net microbatches 6 placement unidirectional split_backward {
// GPIPE-LABEL: crosspipe.schedule @q_gpipe for @q algorithm "gpipe"
