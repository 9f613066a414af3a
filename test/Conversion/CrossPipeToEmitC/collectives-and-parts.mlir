// RUN: crosspipe-opt %s --split-input-file --crosspipe-execution-plan --convert-crosspipe-to-emitc=form=table | crosspipe-translate --split-input-file --mlir-to-cpp | FileCheck %s
// RUN: crosspipe-opt %s --split-input-file --crosspipe-execution-plan --convert-crosspipe-to-emitc=form=unrolled | crosspipe-translate --split-input-file --mlir-to-cpp | FileCheck %s --check-prefix=UNROLLED

// Data-parallel all-reduces, a boundary inside one device, and sub-blocks,
// as table entries.

// Wave placement with two replicas (ZB-V): the plan records the replica
// count, every chunk's all-reduce is an ALLREDUCE entry (op 9) after a WAIT
// for the chunk's last W, and chunks 1 and 2 share device 1: boundary 1
// has one local act and grad buffer on device 1 and no message at all.
// CHECK:      static const crosspipe_buffer crosspipe_buffer_table[18] = {
// CHECK:        {1, CROSSPIPE_ACT, 1, 1, 1048576u, "act1_d1"},
// CHECK-NEXT:   {1, CROSSPIPE_GRAD, 1, 1, 1048576u, "grad1_d1"},
// CHECK:      static const crosspipe_action crosspipe_program_0[34] = {
// W chunk 3 mb 1 is entry 19; the all-reduce of chunk 3 waits for it.
// CHECK:        {4,3,1},
// CHECK-NEXT:   {0,20},
// CHECK-NEXT:   {9,3},
// CHECK:        {4,0,1,0,0,1},
// CHECK-NEXT:   {0,31},
// CHECK-NEXT:   {9},
// CHECK-NEXT: };
// CHECK:      static const crosspipe_action crosspipe_program_1[
// CHECK-NOT:    {5,1
// CHECK:      };
// CHECK:        2, 4, 2, 2, /* devices, chunks, microbatches, dp_degree */
// UNROLLED:   // device 0: dp_allreduce chunk 3, simulated 13 ms to 16 ms; waits for W chunk 3 mb 1
// UNROLLED-NEXT: crosspipe_exec(v1, 0, 21);
// UNROLLED-NEXT: crosspipe_exec(v1, 0, 22);

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @w on @net microbatches 2 placement wave split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 0 B gradient 1 MiB
}
crosspipe.schedule @w_zb_v for @w algorithm "zb-v" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute F chunk 3 mb 0
    crosspipe.compute D chunk 3 mb 0
    crosspipe.compute W chunk 3 mb 0
    crosspipe.compute F chunk 3 mb 1
    crosspipe.compute D chunk 3 mb 1
    crosspipe.compute W chunk 3 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute F chunk 2 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute F chunk 2 mb 1
    crosspipe.compute D chunk 2 mb 0
    crosspipe.compute W chunk 2 mb 0
    crosspipe.compute D chunk 1 mb 0
    crosspipe.compute W chunk 1 mb 0
    crosspipe.compute D chunk 2 mb 1
    crosspipe.compute W chunk 2 mb 1
    crosspipe.compute D chunk 1 mb 1
    crosspipe.compute W chunk 1 mb 1
  }
}

// -----

// Sub-blocks: each part is its own entry with part and parts (the last two
// fields) and the same slots; the send waits for the last part (entry 1).
// CHECK:      static const crosspipe_action crosspipe_program_0[7] = {
// CHECK-NEXT:   {1,0,0,0,0,0,0,2},
// CHECK-NEXT:   {1,0,0,0,0,0,1,2},
// CHECK-NEXT:   {0,1},
// CHECK-NEXT:   {5},
// CHECK-NEXT:   {8},
// CHECK-NEXT:   {0,4},
// CHECK-NEXT:   {2},
// CHECK-NEXT: };
// CHECK:      static const crosspipe_action crosspipe_program_1[
// CHECK:        {2,1,0,0,0,0,0,2},
// CHECK-NEXT:   {2,1,0,0,0,0,1,2},
// UNROLLED:   // device 0: send act chunk 0 mb 0 to device 1 on channel 0 over link dev0->dev1, simulated link time 2 ms to 3 ms; waits for F chunk 0 mb 0 part 1/2

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 2 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 2 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @cut for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 part 0 of 2
    crosspipe.compute F chunk 0 mb 0 part 1 of 2
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0 part 0 of 2
    crosspipe.compute B chunk 1 mb 0 part 1 of 2
  }
}
