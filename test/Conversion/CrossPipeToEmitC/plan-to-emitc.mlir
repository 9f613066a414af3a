// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc=backend=nccl | FileCheck %s --check-prefix=NCCL
// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc=backend=emulate | FileCheck %s --check-prefix=EMU
// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc=backend=nccl | crosspipe-translate --mlir-to-cpp | FileCheck %s --check-prefix=CPP
// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc=backend=emulate | crosspipe-translate --mlir-to-cpp | FileCheck %s --check-prefix=CPP-EMU

// The plan of one microbatch over two devices in two datacenters (what
// --crosspipe-execution-plan makes of a 1F1B schedule), lowered to EmitC
// and printed as C++ for both backends.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional   {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 2 MiB
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 2 MiB
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
}
crosspipe.plan @s_plan for @s devices 2 makespan 12 ms {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 2 MiB
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 2 MiB
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0] arrives 10 ms
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0] arrives 4 ms
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0] [0 ms, 1 ms]
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2) [1 ms, 2 ms]
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1) [4 ms, 5 ms]
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 [5 ms, 7 ms]
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5) [7 ms, 8 ms]
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0) [10 ms, 12 ms]
}

// Both backends: only the headers the code calls into, the plan described
// as data, and no crosspipe op left.
// NCCL:      emitc.include <"cuda_runtime.h">
// NCCL-NEXT: emitc.include <"nccl.h">
// NCCL-NEXT: emitc.include "crosspipe/Runtime/Runtime.h"
// NCCL-LABEL: emitc.func @crosspipe_plan_describe(%arg0: !emitc.ptr<!emitc.opaque<"crosspipe_plan_desc">>)
// NCCL:        {{(emitc\.)?}}call_opaque "crosspipe_desc_plan"(%arg0) {{.*}}#emitc.opaque<"CROSSPIPE_BACKEND_NCCL">, 2 : i32, 2 : i32, 1 : i32, 1 : i32, #emitc.opaque<"12.0">
// NCCL:        {{(emitc\.)?}}call_opaque "crosspipe_desc_channel"(%arg0) {args = [0 : index, 0 : i32, 0 : i32, 1 : i32, #emitc.opaque<"CROSSPIPE_ACT">]}
// NCCL-NEXT:   {{(emitc\.)?}}call_opaque "crosspipe_desc_channel"(%arg0) {args = [0 : index, 1 : i32, 1 : i32, 0 : i32, #emitc.opaque<"CROSSPIPE_GRAD">]}

// With NCCL, one static function per device. A receive is an ncclRecv on the
// stream its plan op names, then its arrival event.
// NCCL-LABEL: emitc.func @crosspipe_step_device_0(
// NCCL-SAME:    specifiers = ["static"]
// NCCL:         %[[RECV_NEXT:.*]] = {{(emitc\.)?}}call_opaque "crosspipe_stream"(%arg0) {{.*}}#emitc.opaque<"CROSSPIPE_RECV_NEXT">
// NCCL:         {{(emitc\.)?}}expression
// NCCL:           {{(emitc\.)?}}call_opaque "ncclRecv"({{.*}}, %[[RECV_NEXT]])
// NCCL:         %[[ARRIVED:.*]] = {{(emitc\.)?}}call_opaque "crosspipe_event"(%arg0) {args = [0 : index, 0 : i32]}
// NCCL-NEXT:    {{(emitc\.)?}}call_opaque "crosspipe_record_arrival"(%arg0, %[[ARRIVED]], %[[RECV_NEXT]])
// NCCL:         {{(emitc\.)?}}call_opaque "ncclSend"
// NCCL:         {{(emitc\.)?}}call_opaque "cudaStreamWaitEvent"(%{{.*}}, %[[ARRIVED]])
// NCCL:         {{(emitc\.)?}}call_opaque "crosspipe_stage_backward"
// NCCL-LABEL: emitc.func @crosspipe_step_device_1(
// The dispatcher runs the function of the process's device.
// NCCL-LABEL: emitc.func @crosspipe_plan_step(
// NCCL:         %[[DEVICE:.*]] = {{(emitc\.)?}}call_opaque "crosspipe_device"(%arg0)
// NCCL:         %[[IS0:.*]] = {{(emitc\.)?}}cmp eq, %[[DEVICE]], %{{.*}}
// NCCL-NEXT:    {{(emitc\.)?}}if %[[IS0]] {
// NCCL-NEXT:      {{(emitc\.)?}}call @crosspipe_step_device_0(%arg0)
// NCCL-NOT:   crosspipe.

// Emulate: one function for every device; a send is a copy on its link's
// stream into the receive's slot after the bandwidth spin, and records the
// receive's arrival event after the latency.
// EMU-NOT:    nccl.h
// EMU-LABEL: emitc.func @crosspipe_plan_step(
// EMU:          %[[LINK:.*]] = {{(emitc\.)?}}call_opaque "crosspipe_link_stream"(%arg0) {args = [0 : index, 0 : i32]}
// EMU:          %[[RECV:.*]] = {{(emitc\.)?}}call_opaque "crosspipe_event"(%arg0) {args = [0 : index, 7 : i32]}
// EMU:          {{(emitc\.)?}}call_opaque "crosspipe_spin"(%arg0, %[[LINK]]) {args = [0 : index, #emitc.opaque<"1.0">, 1 : index]}
// EMU:          {{(emitc\.)?}}call_opaque "cudaMemcpyAsync"
// EMU:          {{(emitc\.)?}}call_opaque "crosspipe_record_arrival"(%arg0, %[[RECV]], %[[LINK]]) {args = [0 : index, 1 : index, 2 : index, 0 : i32, #emitc.opaque<"2.0">]}
// EMU-NOT:    ncclSend
// EMU-NOT:    crosspipe.

// The C++ of device 0 under NCCL, whole: every call checked, with a message
// naming the device, the block and the microbatch.
// CPP-LABEL: static void crosspipe_step_device_0(crosspipe_runtime* v1) {
// CPP-NEXT:  // Streams of device 0
// CPP-NEXT:  cudaStream_t v2 = crosspipe_stream(v1, 0, CROSSPIPE_COMPUTE);
// CPP-NEXT:  cudaStream_t v3 = crosspipe_stream(v1, 0, CROSSPIPE_SEND_NEXT);
// CPP-NEXT:  cudaStream_t v4 = crosspipe_stream(v1, 0, CROSSPIPE_RECV_NEXT);
// CPP-NEXT:  // device 0: recv grad chunk 0 mb 0 from device 1 on channel 1 (modelled latency 2 ms)
// CPP-NEXT:  ncclResult_t v5 = ncclRecv(crosspipe_slot(v1, 7, 0), crosspipe_transfer_bytes(v1, 7), ncclUint8, 0, crosspipe_channel_comm(v1, 1), v4);
// CPP-NEXT:  crosspipe_check_nccl(v1, v5, "device 0: recv grad chunk 0 mb 0 from device 1");
// CPP-NEXT:  cudaEvent_t v6 = crosspipe_event(v1, 0);
// CPP-NEXT:  cudaError_t v7 = crosspipe_record_arrival(v1, v6, v4, 1, 2.0);
// CPP-NEXT:  crosspipe_check_cuda(v1, v7, "device 0: recv grad chunk 0 mb 0 from device 1: arrival event");
// CPP-NEXT:  // device 0: F chunk 0 mb 0, simulated 0 ms to 1 ms
// CPP-NEXT:  cudaError_t v8 = cudaEventRecord(crosspipe_event(v1, 1), v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v8, "device 0: F chunk 0 mb 0: start event");
// CPP-NEXT:  int v9 = crosspipe_stage_forward(0, 0, 0, 1, nullptr, crosspipe_slot(v1, 4, 0), crosspipe_slot(v1, 0, 0), nullptr, v2);
// CPP-NEXT:  crosspipe_check_stage(v1, v9, "device 0: F chunk 0 mb 0");
// CPP-NEXT:  cudaError_t v10 = crosspipe_tag_write(v1, 4, 0, CROSSPIPE_ACT, 0, 0, v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v10, "device 0: F chunk 0 mb 0: output tag");
// CPP-NEXT:  cudaError_t v11 = crosspipe_tag_write(v1, 0, 0, CROSSPIPE_STASH, 0, 0, v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v11, "device 0: F chunk 0 mb 0: stash tag");
// CPP-NEXT:  cudaEvent_t v12 = crosspipe_event(v1, 2);
// CPP-NEXT:  cudaError_t v13 = cudaEventRecord(v12, v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v13, "device 0: F chunk 0 mb 0: end event");
// CPP-NEXT:  // device 0: send act chunk 0 mb 0 to device 1 on channel 0 (modelled link time 1 ms)
// CPP-NEXT:  cudaError_t v14 = cudaStreamWaitEvent(v3, v12, 0);
// CPP-NEXT:  crosspipe_check_cuda(v1, v14, "device 0: send act chunk 0 mb 0 to device 1: wait for F chunk 0 mb 0");
// CPP-NEXT:  cudaError_t v15 = cudaEventRecord(crosspipe_event(v1, 3), v3);
// CPP-NEXT:  crosspipe_check_cuda(v1, v15, "device 0: send act chunk 0 mb 0 to device 1: start event");
// CPP-NEXT:  cudaError_t v16 = crosspipe_wan_spin(v1, 1.0, v3);
// CPP-NEXT:  crosspipe_check_cuda(v1, v16, "device 0: send act chunk 0 mb 0 to device 1: emulated bandwidth");
// CPP-NEXT:  ncclResult_t v17 = ncclSend(crosspipe_slot(v1, 4, 0), crosspipe_transfer_bytes(v1, 4), ncclUint8, 1, crosspipe_channel_comm(v1, 0), v3);
// CPP-NEXT:  crosspipe_check_nccl(v1, v17, "device 0: send act chunk 0 mb 0 to device 1");
// CPP-NEXT:  cudaEvent_t v18 = crosspipe_event(v1, 4);
// CPP-NEXT:  cudaError_t v19 = cudaEventRecord(v18, v3);
// CPP-NEXT:  crosspipe_check_cuda(v1, v19, "device 0: send act chunk 0 mb 0 to device 1: end event");
// CPP-NEXT:  // device 0: B chunk 0 mb 0, simulated 10 ms to 12 ms
// CPP-NEXT:  cudaError_t v20 = cudaStreamWaitEvent(v2, v6, 0);
// CPP-NEXT:  crosspipe_check_cuda(v1, v20, "device 0: B chunk 0 mb 0: wait for recv grad chunk 0 mb 0 from device 1");
// CPP-NEXT:  cudaError_t v21 = cudaEventRecord(crosspipe_event(v1, 5), v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v21, "device 0: B chunk 0 mb 0: start event");
// CPP-NEXT:  cudaError_t v22 = crosspipe_tag_check(v1, 7, 0, CROSSPIPE_GRAD, 0, 0, 3, v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v22, "device 0: B chunk 0 mb 0: input tag check");
// CPP-NEXT:  cudaError_t v23 = crosspipe_tag_check(v1, 0, 0, CROSSPIPE_STASH, 0, 0, 3, v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v23, "device 0: B chunk 0 mb 0: stash tag check");
// CPP-NEXT:  int v24 = crosspipe_stage_backward(0, 0, 0, 1, crosspipe_slot(v1, 7, 0), nullptr, crosspipe_slot(v1, 0, 0), crosspipe_slot(v1, 1, 0), v2);
// CPP-NEXT:  crosspipe_check_stage(v1, v24, "device 0: B chunk 0 mb 0");
// CPP-NEXT:  cudaEvent_t v25 = crosspipe_event(v1, 6);
// CPP-NEXT:  cudaError_t v26 = cudaEventRecord(v25, v2);
// CPP-NEXT:  crosspipe_check_cuda(v1, v26, "device 0: B chunk 0 mb 0: end event");
// CPP-NEXT:  return;
// CPP-NEXT:  }
// CPP-LABEL: void crosspipe_plan_step(crosspipe_runtime* v1) {
// CPP-NEXT:    int32_t v2 = crosspipe_device(v1);
// CPP-NEXT:    bool v3 = v2 == 0;
// CPP-NEXT:    if (v3) {
// CPP-NEXT:      crosspipe_step_device_0(v1);

// CPP-EMU:     #include <cuda_runtime.h>
// CPP-EMU-NEXT: #include "crosspipe/Runtime/Runtime.h"
// CPP-EMU:     crosspipe_desc_plan(v1, "s_plan", "1f1b", CROSSPIPE_BACKEND_EMULATE, 2, 2, 1, 1, 12.0, 0.0);
// CPP-EMU-LABEL: void crosspipe_plan_step(crosspipe_runtime* v1) {
// CPP-EMU:     // device 0: send act chunk 0 mb 0 to device 1 over link east->west (bandwidth time 1 ms, latency 2 ms)
// CPP-EMU:     cudaMemcpyAsync(crosspipe_slot(v1, 6, 0), crosspipe_slot(v1, 4, 0), crosspipe_transfer_bytes(v1, 4), cudaMemcpyDeviceToDevice, {{v[0-9]+}});
