// RUN: crosspipe-opt %s --crosspipe-simulate | FileCheck %s
// RUN: crosspipe-opt %s --crosspipe-simulate | crosspipe-opt --crosspipe-simulate | FileCheck %s
// RUN: crosspipe-opt %s --crosspipe-verify-schedule | diff - <(crosspipe-opt %s)

// 1F1B on two devices, two microbatches, hand-timed: a 1 MiB message takes
// 1 ms of bandwidth (8.388608 Gbit/s) plus 1 ms of latency, and queues FIFO
// on its link. Device 1 runs F0 [3, 4], B0 [4, 6], F1 [6, 7] (its input
// waited behind the first message: [2, 3] on the link, arriving at 4), B1
// [7, 9]; device 0 gets the gradients at 8 and 11. Makespan 13 ms.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional memory [2 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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

// CHECK-LABEL: crosspipe.schedule @s for @p algorithm "1f1b" attributes {lower_bound = #crosspipe.time<{{[0-9.]+}} ms>, makespan = #crosspipe.time<13 ms>} {
// CHECK-NEXT:    crosspipe.program device 0 attributes {bubble = {{.*}} : f64, peak_memory = #crosspipe.bytes<2 MiB>} {
// CHECK-NEXT:      crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
// CHECK-NEXT:      crosspipe.compute F chunk 0 mb 1 [1 ms, 2 ms]
// CHECK-NEXT:      crosspipe.compute B chunk 0 mb 0 [8 ms, 10 ms]
// CHECK-NEXT:      crosspipe.compute B chunk 0 mb 1 [11 ms, 13 ms]
// CHECK-NEXT:    }
// CHECK-NEXT:    crosspipe.program device 1 attributes {bubble = {{.*}} : f64, peak_memory = #crosspipe.bytes<1 MiB>} {
// CHECK-NEXT:      crosspipe.compute F chunk 1 mb 0 [3 ms, 4 ms]
// CHECK-NEXT:      crosspipe.compute B chunk 1 mb 0 [4 ms, 6 ms]
// CHECK-NEXT:      crosspipe.compute F chunk 1 mb 1 [6 ms, 7 ms]
// CHECK-NEXT:      crosspipe.compute B chunk 1 mb 1 [7 ms, 9 ms]
// CHECK-NEXT:    }
// CHECK-NEXT:    crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 3 ms
// CHECK-NEXT:    crosspipe.transfer act chunk 0 mb 1 from 0 to 1 [2 ms, 3 ms] arrives 4 ms
// CHECK-NEXT:    crosspipe.transfer grad chunk 0 mb 0 from 1 to 0 [6 ms, 7 ms] arrives 8 ms
// CHECK-NEXT:    crosspipe.transfer grad chunk 0 mb 1 from 1 to 0 [9 ms, 10 ms] arrives 11 ms
// CHECK-NEXT:  }
