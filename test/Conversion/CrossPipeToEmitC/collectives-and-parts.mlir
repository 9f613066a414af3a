// RUN: crosspipe-opt %s --split-input-file --crosspipe-execution-plan --convert-crosspipe-to-emitc=backend=nccl | crosspipe-translate --split-input-file --mlir-to-cpp | FileCheck %s --check-prefix=NCCL
// RUN: crosspipe-opt %s --split-input-file --crosspipe-execution-plan --convert-crosspipe-to-emitc=backend=emulate | crosspipe-translate --split-input-file --mlir-to-cpp | FileCheck %s --check-prefix=EMU

// Data-parallel all-reduces and sub-blocks, lowered.

// Wave placement with two replicas (ZB-V): under NCCL each chunk's gradient
// is an in-place bf16 ncclAllReduce on the dp stream after its last W;
// emulated, the dp stream spins for the modelled all-reduce time
// (2 x 1 ms latency + 1 MiB at 8.39 Gbit/s = 3 ms). The plan and runtime
// describe it with the number of replicas.
// NCCL:       crosspipe_desc_plan(v1, "w_zb_v_plan", "zb-v", CROSSPIPE_BACKEND_NCCL, 2, 4, 2, 2,
// NCCL:       crosspipe_desc_allreduce(v1, 0, 3, 0,
// NCCL-LABEL: static void crosspipe_step_device_0(
// NCCL:         // device 0: dp_allreduce chunk 3 (modelled 3 ms)
// NCCL-NEXT:    cudaError_t [[W:v[0-9]+]] = cudaStreamWaitEvent([[DP:v[0-9]+]], {{v[0-9]+}}, 0);
// NCCL-NEXT:    crosspipe_check_cuda(v1, [[W]], "device 0: dp_allreduce chunk 3: wait for W chunk 3 mb 1");
// NCCL:         ncclAllReduce(crosspipe_slot(v1, [[G:[0-9]+]], 0), crosspipe_slot(v1, [[G]], 0), crosspipe_dp_count(v1, [[G]]), ncclBfloat16, ncclSum, crosspipe_dp_comm(v1), [[DP]]);
// EMU:          // device 0: dp_allreduce chunk 3 (modelled 3 ms)
// EMU:          crosspipe_spin(v1, 3.0, {{v[0-9]+}});
// EMU-NOT:      ncclAllReduce

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

// Sub-blocks: every part calls the stage with its part index and the same
// slots; the input tag is checked before the first part, the output and
// stash tags are written after the last, and the send waits for the last.
// NCCL-LABEL: static void crosspipe_step_device_0(
// NCCL:         // device 0: F chunk 0 mb 0 part 0/2, simulated 0 ms to 1 ms
// NCCL-NOT:     crosspipe_tag_write
// NCCL:         crosspipe_stage_forward(0, 0, 0, 2, nullptr, crosspipe_slot(v1, [[OUT:[0-9]+]], 0), crosspipe_slot(v1, [[STASH:[0-9]+]], 0), nullptr,
// NCCL-NOT:     crosspipe_tag_write
// NCCL:         // device 0: F chunk 0 mb 0 part 1/2, simulated 1 ms to 2 ms
// NCCL:         crosspipe_stage_forward(0, 0, 1, 2, nullptr, crosspipe_slot(v1, [[OUT]], 0), crosspipe_slot(v1, [[STASH]], 0), nullptr,
// NCCL:         crosspipe_tag_write(v1, [[OUT]], 0, CROSSPIPE_ACT, 0, 0,
// NCCL:         crosspipe_tag_write(v1, [[STASH]], 0, CROSSPIPE_STASH, 0, 0,
// NCCL:         cudaEvent_t [[LAST:v[0-9]+]] = crosspipe_event(v1,
// NCCL:         // device 0: send act chunk 0 mb 0 to device 1 on channel 0
// NCCL-NEXT:    cudaStreamWaitEvent({{v[0-9]+}}, [[LAST]], 0);
// NCCL-LABEL: static void crosspipe_step_device_1(
// NCCL:         // device 1: B chunk 1 mb 0 part 0/2
// NCCL:         crosspipe_tag_check(v1, [[STASH1:[0-9]+]], 0, CROSSPIPE_STASH, 1, 0,
// NCCL:         // device 1: B chunk 1 mb 0 part 1/2
// NCCL-NOT:     crosspipe_tag_check
// NCCL:         crosspipe_tag_write(v1, {{[0-9]+}}, 0, CROSSPIPE_GRAD, 0, 0,
// EMU:          // device 0: F chunk 0 mb 0 part 1/2, simulated 1 ms to 2 ms

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
