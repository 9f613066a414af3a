// RUN: crosspipe-opt %s --split-input-file --crosspipe-dp-overlap --crosspipe-verify-schedule | FileCheck %s --check-prefix=PLAIN
// RUN: crosspipe-opt %s --split-input-file --crosspipe-dp-overlap=buckets=2 --crosspipe-verify-schedule | FileCheck %s --check-prefix=BUCKETS
// RUN: crosspipe-opt %s --split-input-file --crosspipe-dp-overlap=zero1 --crosspipe-verify-schedule | FileCheck %s --check-prefix=ZERO1
// RUN: crosspipe-opt %s --split-input-file --crosspipe-dp-overlap="buckets=2 zero1" --crosspipe-simulate | FileCheck %s --check-prefix=BOTH
// RUN: crosspipe-opt %s --split-input-file --crosspipe-dp-overlap=buckets=2 | crosspipe-opt --crosspipe-simulate | FileCheck %s --check-prefix=BUCKETS
// RUN: crosspipe-opt %s --split-input-file --crosspipe-dp-overlap=buckets=2 | crosspipe-translate --split-input-file --export-chrome-trace | FileCheck %s --check-prefix=TRACE
// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics --crosspipe-verify-schedule
// RUN: not crosspipe-opt %s --split-input-file --crosspipe-dp-overlap=buckets=0 2>&1 | FileCheck %s --check-prefix=NOBUCKETS

// One device, one chunk, two microbatches: F 1 ms, D 1 ms, W 4 ms, so the
// last W runs over [8, 12]. With two replicas an all-reduce of the whole
// gradient takes 2 * 0.5 ms latency + 2 ms = 3 ms, one of two buckets 2 ms,
// a reduce-scatter or all-gather of everything 1.5 ms.
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
}

// One all-reduce right after the last W.
// PLAIN-LABEL: crosspipe.schedule @s for @p algorithm "hand" attributes {{{.*}}makespan = #crosspipe.time<15 ms>} {
// PLAIN:         crosspipe.compute W chunk 0 mb 1 [8 ms, 12 ms]
// PLAIN-NEXT:    crosspipe.collective chunk 0 [12 ms, 15 ms]
// PLAIN-NEXT:  }

// Bucket 0 (the last layers) is complete halfway through the last W and
// starts while that W still runs on the first layers.
// BUCKETS-LABEL: crosspipe.schedule @s for @p algorithm "hand" attributes {{{.*}}makespan = #crosspipe.time<14 ms>} {
// BUCKETS:         crosspipe.compute W chunk 0 mb 1 [8 ms, 12 ms]
// BUCKETS-NEXT:    crosspipe.collective chunk 0 bucket 0 of 2 [10 ms, 12 ms]
// BUCKETS-NEXT:    crosspipe.collective chunk 0 bucket 1 of 2 [12 ms, 14 ms]
// BUCKETS-NEXT:  }

// ZeRO-1: the parameters are gathered first and hold back the first F; the
// gradient is reduce-scattered; the makespan counts from the all-gather.
// ZERO1-LABEL: crosspipe.schedule @s for @p algorithm "hand" attributes {{{.*}}makespan = #crosspipe.time<15 ms>} {
// ZERO1-NEXT:    crosspipe.program device 0
// ZERO1-NEXT:      crosspipe.collective all_gather chunk 0 [0 ms, 1.5 ms]
// ZERO1-NEXT:      crosspipe.compute F chunk 0 mb 0 [1.5 ms, 2.5 ms]
// ZERO1:           crosspipe.compute W chunk 0 mb 1 [9.5 ms, 13.5 ms]
// ZERO1-NEXT:      crosspipe.collective reduce_scatter chunk 0 [13.5 ms, 15 ms]

// Both, and the simulator reproduces the placed spans.
// BOTH-LABEL: crosspipe.schedule @s for @p algorithm "hand" attributes {{{.*}}makespan = #crosspipe.time<14.5 ms>} {
// BOTH:         crosspipe.collective all_gather chunk 0 [0 ms, 1.5 ms]
// BOTH:         crosspipe.collective reduce_scatter chunk 0 bucket 0 of 2 [11.5 ms, 12.5 ms]
// BOTH-NEXT:    crosspipe.collective reduce_scatter chunk 0 bucket 1 of 2 [13.5 ms, 14.5 ms]

// The trace shows each bucket on the device's DP track.
// TRACE: "name":"allreduce0.b0"{{.*}}"ts":10000.0
// TRACE: "name":"allreduce0.b1"{{.*}}"ts":12000.0

// NOBUCKETS: error: buckets must be at least 1, got 0

// -----

// The verifier rejects a gradient collective placed before the W it reduces.
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    // expected-error @+1 {{'crosspipe.collective' op comes before W chunk 0 mb 1, the W whose gradient it reduces}}
    crosspipe.collective chunk 0
    // expected-note @+1 {{block here}}
    crosspipe.compute W chunk 0 mb 1
  }
}

// -----

// A bucket timed before the last W has done its share (10 ms).
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute F chunk 0 mb 1 [1 ms, 2 ms]
    crosspipe.compute D chunk 0 mb 0 [2 ms, 3 ms]
    crosspipe.compute W chunk 0 mb 0 [3 ms, 7 ms]
    crosspipe.compute D chunk 0 mb 1 [7 ms, 8 ms]
    // expected-note @+1 {{block here}}
    crosspipe.compute W chunk 0 mb 1 [8 ms, 12 ms]
    // expected-error @+1 {{'crosspipe.collective' op starts at 9 ms, before its gradient bucket is complete in W chunk 0 mb 1 (10 ms)}}
    crosspipe.collective chunk 0 bucket 0 of 2 [9 ms, 11 ms]
    crosspipe.collective chunk 0 bucket 1 of 2 [12 ms, 14 ms]
  }
}

// -----

// An all-gather after the F that needs the parameters.
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    // expected-note @+1 {{block here}}
    crosspipe.compute F chunk 0 mb 0
    // expected-error @+1 {{'crosspipe.collective' op comes after F chunk 0 mb 0, the F that needs the parameters it gathers}}
    crosspipe.collective all_gather chunk 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
    crosspipe.collective reduce_scatter chunk 0
  }
}

// -----

// An all-gather still running when the first F starts.
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    // expected-error @+1 {{'crosspipe.collective' op ends at 1.5 ms, after F chunk 0 mb 0 starts (0 ms), the F that needs the parameters it gathers}}
    crosspipe.collective all_gather chunk 0 [0 ms, 1.5 ms]
    // expected-note @+1 {{block here}}
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
}

// -----

// Buckets of one schedule must agree; all-reduce and ZeRO-1 do not mix.
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    // expected-note @+1 {{other collective here}}
    crosspipe.collective chunk 0 bucket 0 of 2
    // expected-error @+1 {{'crosspipe.collective' op splits chunk 0's gradient into 4 buckets, but another collective into 2}}
    crosspipe.collective chunk 0 bucket 1 of 4
  }
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    // expected-note @+1 {{other collective here}}
    crosspipe.collective reduce_scatter chunk 0 bucket 0 of 2
    // expected-error @+1 {{'crosspipe.collective' op is an all-reduce, but the schedule also has ZeRO-1 collectives}}
    crosspipe.collective chunk 0 bucket 1 of 2
  }
}

// -----

// Two collectives of one device overlap on its communication stream.
crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute D chunk 0 mb 0 [1 ms, 2 ms]
    crosspipe.compute W chunk 0 mb 0 [2 ms, 6 ms]
    // expected-note @+1 {{other collective here}}
    crosspipe.collective chunk 0 bucket 0 of 2 [5 ms, 7 ms]
    // expected-error @+1 {{'crosspipe.collective' op starts at 6.5 ms, while another collective still runs on the communication stream of device 0}}
    crosspipe.collective chunk 0 bucket 1 of 2 [6.5 ms, 8.5 ms]
  }
}
