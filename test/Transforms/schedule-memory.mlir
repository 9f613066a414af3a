// RUN: crosspipe-opt %s --split-input-file --crosspipe-simulate | FileCheck %s --check-prefix=PEAK
// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics --crosspipe-verify-schedule 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: crosspipe-opt %s --split-input-file --crosspipe-schedule="algorithm=zb-h1 memory-relative-peak=1" | FileCheck %s --check-prefix=UNIFORM
// RUN: not crosspipe-opt %s --split-input-file --crosspipe-schedule="algorithm=zb-h1 memory-relative=1" 2>&1 | FileCheck %s --check-prefix=RELATIVE

// Memory as BlockGraph.h has it: F takes 100 MiB, D gives back the 60 MiB
// that W does not need, W the last 40. The second F runs after the first D
// and before the first W, so device 0 peaks at 40 + 100 = 140 MiB (with W
// keeping everything it would be 200 MiB). The 140 MiB budget holds it.
// PEAK-LABEL: crosspipe.schedule @hand
// PEAK:         crosspipe.program device 0 attributes {bubble = {{.*}}, peak_memory = #crosspipe.bytes<140 MiB>}
// NONE-NOT: error

// UNIFORM-LABEL: crosspipe.pipeline @one on @net microbatches 2 placement unidirectional split_backward memory [100 MiB] relative_to_1f1b_peak 1
// UNIFORM:       crosspipe.schedule @one_zb_h1 for @one algorithm "zb-h1"
// RELATIVE: error: 'crosspipe.pipeline' op cannot be scheduled by zb-h1: it needs 4 MiB of activations on device 1, above its budget of 3 MiB (use the greedy, or raise the budget with memory-relative)

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @one on @net microbatches 2 placement unidirectional split_backward memory [140 MiB] {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 100 MiB wgrad_activation 40 MiB message 0 B gradient 0 B
}
crosspipe.schedule @hand for @one algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
}

// -----

// ZB-H1 on 4 devices with W keeping the whole activation: device d defers
// up to d W, so every device holds 4 activations. Relative to 1F1B's peak
// every device may (4 MiB); relative to 1F1B device 1 may hold only 3.
// UNIFORM-LABEL: crosspipe.pipeline @four on @net4 microbatches 8 placement unidirectional split_backward memory [4 MiB, 4 MiB, 4 MiB, 4 MiB] relative_to_1f1b_peak 1
// UNIFORM:       crosspipe.schedule @four_zb_h1 for @four algorithm "zb-h1"
crosspipe.cluster @net4 {
  crosspipe.datacenter @east devices 4
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @four on @net4 microbatches 8 placement unidirectional split_backward {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 3 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 0 B gradient 0 B
}
