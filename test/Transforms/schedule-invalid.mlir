// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics --crosspipe-schedule=algorithm=gpipe
// RUN: not crosspipe-opt %s --crosspipe-schedule=algorithm=bogus 2>&1 | FileCheck %s --check-prefix=BOGUS
// RUN: crosspipe-opt --help | FileCheck %s --check-prefix=HELP
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=greedy sub-blocks=0" 2>&1 | FileCheck %s --check-prefix=SUBBLOCKS
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=greedy memory-relative=1 memory-unlimited=true" 2>&1 | FileCheck %s --check-prefix=EXCLUSIVE
// RUN: not crosspipe-opt %s --split-input-file --crosspipe-schedule="algorithm=greedy memory-limit-mib=0.5" 2>&1 | FileCheck %s --check-prefix=TOOSMALL
// RUN: not crosspipe-opt %s --split-input-file --crosspipe-schedule=algorithm=zb-h1 2>&1 | FileCheck %s --check-prefix=ZBH1
// RUN: not crosspipe-opt %s --split-input-file --crosspipe-schedule=algorithm=interleaved 2>&1 | FileCheck %s --check-prefix=INTERLEAVED

// The algorithm is a typed option: an unknown name is refused while the
// pipeline is parsed, and --help lists the choices.
// BOGUS: for the --algorithm option: Cannot find option named 'bogus'!
// HELP: --crosspipe-schedule
// HELP-NEXT: --algorithm=<value>
// HELP-NEXT: =gpipe
// HELP-NEXT: =1f1b
// HELP-NEXT: =interleaved
// HELP-NEXT: =zb-h1
// HELP-NEXT: =zb-v
// HELP-NEXT: =dualpipe-v
// HELP-NEXT: =greedy
// HELP-NEXT: =optimal
// SUBBLOCKS: error: sub-blocks must be at least 1, got 0
// EXCLUSIVE: error: give at most one of memory-relative, memory-relative-peak, memory-limit-mib and memory-unlimited, with a positive value
// TOOSMALL: error: 'crosspipe.pipeline' op memory budget override leaves device 0 512 KiB, less than the 1 MiB one microbatch needs
// ZBH1: error: 'crosspipe.pipeline' op cannot be scheduled by zb-h1: zb-h1 needs split backward (D and W), got fused B
// INTERLEAVED: error: 'crosspipe.pipeline' op cannot be scheduled by interleaved: interleaved needs at least two chunks per device, got one; use 1f1b

// A static schedule that exceeds the budget is an error, not a fallback.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 100 Gbps
}
// expected-error @+1 {{cannot be scheduled by gpipe: it needs 3 MiB of activations on device 0, above its budget of 2 MiB (use the greedy, or raise the budget with memory-relative)}}
crosspipe.pipeline @p on @net microbatches 3 placement unidirectional memory [2 MiB, 1 MiB] relative_to_1f1b 1.0 {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
