// RUN: crosspipe-opt %s --split-input-file --crosspipe-execution-plan --crosspipe-verify-plan | FileCheck %s
// RUN: not crosspipe-opt %s --split-input-file --crosspipe-execution-plan=schedule=nope 2>&1 | FileCheck %s --check-prefix=NONE

// RUN: not crosspipe-opt %s --split-input-file --crosspipe-dp-overlap=buckets=2 --crosspipe-execution-plan 2>&1 | FileCheck %s --check-prefix=BUCKETS

// NONE: error: no crosspipe.schedule named 'nope' to plan

// Bucketed (or ZeRO-1) collectives are refused, not planned as plain
// all-reduces; only the replicated wave case below has any.
// BUCKETS: error: 'crosspipe.schedule' op has bucketed or ZeRO-1 data-parallel collectives (--crosspipe-dp-overlap), which crosspipe.plan IR cannot express yet; --crosspipe-compile and crosspipe-translate --export-plan plan them

// Two devices in two datacenters (1 ms of bandwidth and 2 ms of latency per
// message), three microbatches, fused backward, 1F1B.
// - Each receive is issued right before its send, at the send's simulated
//   time, so both devices issue their NCCL operations in one order (NCCL
//   needs that across communicators); a receive whose slot is reused waits
//   for the block that frees it (recv act mb 2 after F chunk 1 mb 0).
// - The gradient device 0 receives lives from its send (7 ms) to the end of
//   B chunk 0 mb 0 (12 ms) and the next one is sent in between: two slots.
//   Device 1 sends gradients from one slot, so B chunk 1 mb 1 waits for the
//   send of mb 0 (which ends at 8 ms, when the block starts anyway).
// - Every block that reads a message waits for its receive and every send
//   for its producer; nothing else waits.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 3 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @p_1f1b for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 2
    crosspipe.compute B chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 2
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
    crosspipe.compute F chunk 1 mb 2
    crosspipe.compute B chunk 1 mb 2
  }
}

// CHECK-LABEL: crosspipe.plan @p_1f1b_plan for @p_1f1b devices 2 makespan 24 ms {
// CHECK-NEXT:    crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
// CHECK-NEXT:    crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
// CHECK-NEXT:    crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    [[E0:%[0-9]+]] = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0] [0 ms, 1 ms]
// CHECK-NEXT:    [[E1:%[0-9]+]] = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0] arrives 4 ms
// CHECK-NEXT:    [[E2:%[0-9]+]] = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after([[E0]]) [1 ms, 2 ms]
// CHECK-NEXT:    [[E3:%[0-9]+]] = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1] [1 ms, 2 ms]
// CHECK-NEXT:    [[E4:%[0-9]+]] = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1] arrives 5 ms
// CHECK-NEXT:    [[E5:%[0-9]+]] = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after([[E3]]) [2 ms, 3 ms]
// CHECK-NEXT:    [[E6:%[0-9]+]] = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after([[E1]]) [4 ms, 5 ms]
// CHECK-NEXT:    [[E7:%[0-9]+]] = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 [5 ms, 7 ms]
// CHECK-NEXT:    [[E8:%[0-9]+]] = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0] arrives 10 ms
// CHECK-NEXT:    [[E9:%[0-9]+]] = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after([[E7]]) [7 ms, 8 ms]
// CHECK-NEXT:    [[E10:%[0-9]+]] = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after([[E4]]) [7 ms, 8 ms]
// CHECK-NEXT:    [[E11:%[0-9]+]] = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after([[E9]]) [8 ms, 10 ms]
// CHECK-NEXT:    [[E12:%[0-9]+]] = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1] arrives 13 ms
// CHECK-NEXT:    [[E13:%[0-9]+]] = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after([[E11]]) [10 ms, 11 ms]
// CHECK-NEXT:    [[E14:%[0-9]+]] = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after([[E8]]) [10 ms, 12 ms]
// CHECK-NEXT:    [[E15:%[0-9]+]] = crosspipe.exec F chunk 0 mb 2 device 0 out @act0_d0[0] stash @stash0[0] after([[E2]]) [12 ms, 13 ms]
// CHECK-NEXT:    [[E16:%[0-9]+]] = crosspipe.recv act chunk 0 mb 2 from 0 to 1 on recv_prev buffer @act0_d1[0] after([[E6]]) arrives 16 ms
// CHECK-NEXT:    [[E17:%[0-9]+]] = crosspipe.send act chunk 0 mb 2 from 0 to 1 on send_next buffer @act0_d0[0] after([[E15]]) [13 ms, 14 ms]
// CHECK-NEXT:    [[E18:%[0-9]+]] = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after([[E12]]) [13 ms, 15 ms]
// CHECK-NEXT:    [[E19:%[0-9]+]] = crosspipe.exec F chunk 1 mb 2 device 1 in @act0_d1[0] stash @stash1[0] after([[E16]]) [16 ms, 17 ms]
// CHECK-NEXT:    [[E20:%[0-9]+]] = crosspipe.exec B chunk 1 mb 2 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after([[E13]]) [17 ms, 19 ms]
// CHECK-NEXT:    [[E21:%[0-9]+]] = crosspipe.recv grad chunk 0 mb 2 from 1 to 0 on recv_next buffer @grad0_d0[0] after([[E14]]) arrives 22 ms
// CHECK-NEXT:    [[E22:%[0-9]+]] = crosspipe.send grad chunk 0 mb 2 from 1 to 0 on send_prev buffer @grad0_d1[0] after([[E20]]) [19 ms, 20 ms]
// CHECK-NEXT:    [[E23:%[0-9]+]] = crosspipe.exec B chunk 0 mb 2 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after([[E21]]) [22 ms, 24 ms]
// CHECK-NEXT:  }

// -----

// Wave placement (chunks 0 and 3 on device 0, 1 and 2 on device 1), ZB-V,
// two microbatches, two data-parallel replicas.
// - Chunks 1 and 2 share device 1: their activation and gradient pass
//   through one buffer each (@act1_d1, @grad1_d1) with no transfer and no
//   wait, ordered by the compute stream alone.
// - Device 0 receives activations (of chunk 2) and gradients (of chunk 1)
//   from device 1 on its two receive streams.
// - Each chunk's gradient is all-reduced on its device's dp stream after
//   its last W.

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

// CHECK-LABEL: crosspipe.plan @w_zb_v_plan for @w_zb_v devices 2 makespan 25 ms {
// CHECK-NEXT:    crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @stash1 device 1 stash chunk 1 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act1_d1 device 1 act chunk 1 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad1_d1 device 1 grad chunk 1 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @stash2 device 1 stash chunk 2 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad2 device 1 param_grad chunk 2 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @stash3 device 0 stash chunk 3 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad3 device 0 param_grad chunk 3 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act2_d1 device 1 act chunk 2 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad2_d0 device 0 grad chunk 2 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act2_d0 device 0 act chunk 2 slots 2 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad2_d1 device 1 grad chunk 2 slots 1 size 1 MiB
// CHECK-NEXT:    [[E0:%[0-9]+]] = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0] [0 ms, 1 ms]
// CHECK-NEXT:    [[E1:%[0-9]+]] = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0] arrives 3 ms
// CHECK-NEXT:    [[E2:%[0-9]+]] = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after([[E0]]) [1 ms, 2 ms]
// CHECK-NEXT:    [[E3:%[0-9]+]] = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1] [1 ms, 2 ms]
// CHECK-NEXT:    [[E4:%[0-9]+]] = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1] arrives 4 ms
// CHECK-NEXT:    [[E5:%[0-9]+]] = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after([[E3]]) [2 ms, 3 ms]
// CHECK-NEXT:    [[E6:%[0-9]+]] = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] out @act1_d1[0] stash @stash1[0] after([[E1]]) [3 ms, 4 ms]
// CHECK-NEXT:    [[E7:%[0-9]+]] = crosspipe.exec F chunk 2 mb 0 device 1 in @act1_d1[0] out @act2_d1[0] stash @stash2[0] [4 ms, 5 ms]
// CHECK-NEXT:    [[E8:%[0-9]+]] = crosspipe.recv act chunk 2 mb 0 from 1 to 0 on recv_prev buffer @act2_d0[0] arrives 7 ms
// CHECK-NEXT:    [[E9:%[0-9]+]] = crosspipe.send act chunk 2 mb 0 from 1 to 0 on send_next buffer @act2_d1[0] after([[E7]]) [5 ms, 6 ms]
// CHECK-NEXT:    [[E10:%[0-9]+]] = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] out @act1_d1[0] stash @stash1[1] after([[E4]]) [5 ms, 6 ms]
// CHECK-NEXT:    [[E11:%[0-9]+]] = crosspipe.exec F chunk 2 mb 1 device 1 in @act1_d1[0] out @act2_d1[0] stash @stash2[1] after([[E9]]) [6 ms, 7 ms]
// CHECK-NEXT:    [[E12:%[0-9]+]] = crosspipe.recv act chunk 2 mb 1 from 1 to 0 on recv_prev buffer @act2_d0[1] arrives 9 ms
// CHECK-NEXT:    [[E13:%[0-9]+]] = crosspipe.send act chunk 2 mb 1 from 1 to 0 on send_next buffer @act2_d1[0] after([[E11]]) [7 ms, 8 ms]
// CHECK-NEXT:    [[E14:%[0-9]+]] = crosspipe.exec F chunk 3 mb 0 device 0 in @act2_d0[0] stash @stash3[0] after([[E8]]) [7 ms, 8 ms]
// CHECK-NEXT:    [[E15:%[0-9]+]] = crosspipe.exec D chunk 3 mb 0 device 0 out @grad2_d0[0] stash @stash3[0] [8 ms, 9 ms]
// CHECK-NEXT:    [[E16:%[0-9]+]] = crosspipe.recv grad chunk 2 mb 0 from 0 to 1 on recv_next buffer @grad2_d1[0] arrives 11 ms
// CHECK-NEXT:    [[E17:%[0-9]+]] = crosspipe.send grad chunk 2 mb 0 from 0 to 1 on send_prev buffer @grad2_d0[0] after([[E15]]) [9 ms, 10 ms]
// CHECK-NEXT:    [[E18:%[0-9]+]] = crosspipe.exec W chunk 3 mb 0 device 0 stash @stash3[0] grads @pgrad3 [9 ms, 10 ms]
// CHECK-NEXT:    [[E19:%[0-9]+]] = crosspipe.exec F chunk 3 mb 1 device 0 in @act2_d0[1] stash @stash3[0] after([[E12]]) [10 ms, 11 ms]
// CHECK-NEXT:    [[E20:%[0-9]+]] = crosspipe.exec D chunk 3 mb 1 device 0 out @grad2_d0[0] stash @stash3[0] after([[E17]]) [11 ms, 12 ms]
// CHECK-NEXT:    [[E21:%[0-9]+]] = crosspipe.exec D chunk 2 mb 0 device 1 in @grad2_d1[0] out @grad1_d1[0] stash @stash2[0] after([[E16]]) [11 ms, 12 ms]
// CHECK-NEXT:    [[E22:%[0-9]+]] = crosspipe.recv grad chunk 2 mb 1 from 0 to 1 on recv_next buffer @grad2_d1[0] after([[E21]]) arrives 14 ms
// CHECK-NEXT:    [[E23:%[0-9]+]] = crosspipe.send grad chunk 2 mb 1 from 0 to 1 on send_prev buffer @grad2_d0[0] after([[E20]]) [12 ms, 13 ms]
// CHECK-NEXT:    [[E24:%[0-9]+]] = crosspipe.exec W chunk 3 mb 1 device 0 stash @stash3[0] grads @pgrad3 [12 ms, 13 ms]
// CHECK-NEXT:    [[E25:%[0-9]+]] = crosspipe.exec W chunk 2 mb 0 device 1 stash @stash2[0] grads @pgrad2 [12 ms, 13 ms]
// CHECK-NEXT:    [[E26:%[0-9]+]] = crosspipe.exec D chunk 1 mb 0 device 1 in @grad1_d1[0] out @grad0_d1[0] stash @stash1[0] [13 ms, 14 ms]
// CHECK-NEXT:    [[E27:%[0-9]+]] = crosspipe.dp_allreduce chunk 3 device 0 buffer @pgrad3 after([[E24]]) [13 ms, 16 ms]
// CHECK-NEXT:    [[E28:%[0-9]+]] = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0] arrives 16 ms
// CHECK-NEXT:    [[E29:%[0-9]+]] = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after([[E26]]) [14 ms, 15 ms]
// CHECK-NEXT:    [[E30:%[0-9]+]] = crosspipe.exec W chunk 1 mb 0 device 1 stash @stash1[0] grads @pgrad1 [14 ms, 15 ms]
// CHECK-NEXT:    [[E31:%[0-9]+]] = crosspipe.exec D chunk 2 mb 1 device 1 in @grad2_d1[0] out @grad1_d1[0] stash @stash2[1] after([[E22]]) [15 ms, 16 ms]
// CHECK-NEXT:    [[E32:%[0-9]+]] = crosspipe.exec D chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] after([[E28]]) [16 ms, 17 ms]
// CHECK-NEXT:    [[E33:%[0-9]+]] = crosspipe.exec W chunk 2 mb 1 device 1 stash @stash2[1] grads @pgrad2 [16 ms, 17 ms]
// CHECK-NEXT:    [[E34:%[0-9]+]] = crosspipe.exec W chunk 0 mb 0 device 0 stash @stash0[0] grads @pgrad0 [17 ms, 18 ms]
// CHECK-NEXT:    [[E35:%[0-9]+]] = crosspipe.exec D chunk 1 mb 1 device 1 in @grad1_d1[0] out @grad0_d1[0] stash @stash1[1] after([[E29]]) [17 ms, 18 ms]
// CHECK-NEXT:    [[E36:%[0-9]+]] = crosspipe.dp_allreduce chunk 2 device 1 buffer @pgrad2 after([[E33]]) [17 ms, 20 ms]
// CHECK-NEXT:    [[E37:%[0-9]+]] = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[0] after([[E32]]) arrives 20 ms
// CHECK-NEXT:    [[E38:%[0-9]+]] = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after([[E35]]) [18 ms, 19 ms]
// CHECK-NEXT:    [[E39:%[0-9]+]] = crosspipe.exec W chunk 1 mb 1 device 1 stash @stash1[1] grads @pgrad1 [18 ms, 19 ms]
// CHECK-NEXT:    [[E40:%[0-9]+]] = crosspipe.exec D chunk 0 mb 1 device 0 in @grad0_d0[0] stash @stash0[1] after([[E37]]) [20 ms, 21 ms]
// CHECK-NEXT:    [[E41:%[0-9]+]] = crosspipe.dp_allreduce chunk 1 device 1 buffer @pgrad1 after([[E39]]) [20 ms, 23 ms]
// CHECK-NEXT:    [[E42:%[0-9]+]] = crosspipe.exec W chunk 0 mb 1 device 0 stash @stash0[1] grads @pgrad0 [21 ms, 22 ms]
// CHECK-NEXT:    [[E43:%[0-9]+]] = crosspipe.dp_allreduce chunk 0 device 0 buffer @pgrad0 after([[E42]]) [22 ms, 25 ms]
// CHECK-NEXT:  }

// -----

// Sub-blocks: a send follows the last part of its producer, a receive is
// waited for by the first part of its consumer, and every part names the
// same slots.

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

// CHECK-LABEL: crosspipe.plan @cut_plan for @cut devices 2 makespan 12 ms {
// CHECK-NEXT:    crosspipe.buffer @stash0 device 0 stash chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
// CHECK-NEXT:    crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
// CHECK-NEXT:    crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 1 size 1 MiB
// CHECK-NEXT:    [[E0:%[0-9]+]] = crosspipe.exec F chunk 0 mb 0 part 0 of 2 device 0 out @act0_d0[0] stash @stash0[0] [0 ms, 1 ms]
// CHECK-NEXT:    [[E1:%[0-9]+]] = crosspipe.exec F chunk 0 mb 0 part 1 of 2 device 0 out @act0_d0[0] stash @stash0[0] [1 ms, 2 ms]
// CHECK-NEXT:    [[E2:%[0-9]+]] = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0] arrives 4 ms
// CHECK-NEXT:    [[E3:%[0-9]+]] = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after([[E1]]) [2 ms, 3 ms]
// CHECK-NEXT:    [[E4:%[0-9]+]] = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after([[E2]]) [4 ms, 6 ms]
// CHECK-NEXT:    [[E5:%[0-9]+]] = crosspipe.exec B chunk 1 mb 0 part 0 of 2 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 [6 ms, 7 ms]
// CHECK-NEXT:    [[E6:%[0-9]+]] = crosspipe.exec B chunk 1 mb 0 part 1 of 2 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 [7 ms, 8 ms]
// CHECK-NEXT:    [[E7:%[0-9]+]] = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0] arrives 10 ms
// CHECK-NEXT:    [[E8:%[0-9]+]] = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after([[E6]]) [8 ms, 9 ms]
// CHECK-NEXT:    [[E9:%[0-9]+]] = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after([[E7]]) [10 ms, 12 ms]
// CHECK-NEXT:  }
