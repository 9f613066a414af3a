// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc=form=table | FileCheck %s --check-prefix=IR
// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc=form=table | crosspipe-translate --mlir-to-cpp | FileCheck %s --check-prefix=TABLE
// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc="backend=emulate form=unrolled" | crosspipe-translate --mlir-to-cpp | FileCheck %s --check-prefix=UNROLLED
// RUN: crosspipe-opt %s --convert-crosspipe-to-emitc | crosspipe-translate --mlir-to-cpp | FileCheck %s --check-prefix=AUTO

// The plan of one microbatch over two devices in two datacenters (what
// --crosspipe-execution-plan makes of a 1F1B schedule), lowered to the
// runtime's tables (include/crosspipe/Runtime/Plan.h) in both forms.

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
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0] [0 ms, 1 ms]
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0] arrives 4 ms
  %2 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%0) [1 ms, 2 ms]
  %3 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1) [4 ms, 5 ms]
  %4 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 [5 ms, 7 ms]
  %5 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0] arrives 10 ms
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%4) [7 ms, 8 ms]
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%5) [10 ms, 12 ms]
}

// The module is EmitC only: the one header, each table a static const
// global of the ABI's struct type with its initializer as C++ text, and
// the entry point returning the plan.
// IR:      emitc.include "crosspipe/Runtime/Plan.h"
// IR-NEXT: emitc.verbatim "#ifdef __GNUC__\0A#pragma GCC diagnostic ignored \22-Wmissing-field-initializers\22\0A#endif"
// IR:      emitc.global static const @crosspipe_chunk_table : !emitc.array<2x!emitc.opaque<"crosspipe_chunk">> = #emitc.opaque<"{\0A  {0, 1.0, 2.0, 0.0, 0.0, 0.0},\0A  {1, 1.0, 2.0, 0.0, 0.0, 0.0},\0A}">
// IR:      emitc.global static const @crosspipe_program_0 : !emitc.array<6x!emitc.opaque<"crosspipe_action">>
// IR:      emitc.global static const @crosspipe_plan_data : !emitc.opaque<"crosspipe_plan">
// IR-LABEL: emitc.func @crosspipe_compiled_plan() -> !emitc.ptr<!emitc.opaque<"const crosspipe_plan">>
// IR-NEXT:   %[[PLAN:.*]] = {{(emitc\.)?}}literal "&crosspipe_plan_data"
// IR-NEXT:   return %[[PLAN]]
// IR-NOT:  crosspipe.
// IR-NOT:  crosspipe_exec

// The whole table form. Rows omit trailing zero fields, so the file turns
// off the warning -Wextra would give for each. Buffers keep the plan's order; a message buffer is
// named by its boundary (chunk 0) on each side. Channels are sorted by
// (role, src, dst), each on the model's link with its latency and Gbit/s.
// Device 0 posts its gradient receive, runs F, waits for F (entry 1)
// before sending, and waits for the receive (entry 0) before B; device 1
// mirrors it. A wait is {0, entry}; trailing zero fields are omitted.
// TABLE:      #include "crosspipe/Runtime/Plan.h"
// TABLE-NEXT: #ifdef __GNUC__
// TABLE-NEXT: #pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// TABLE-NEXT: #endif
// TABLE-NEXT: // Plan s_plan (1f1b): the tables of crosspipe/Runtime/Plan.h
// TABLE-NEXT: // Chunks: device, forward, backward, dgrad, wgrad, all-reduce (ms)
// TABLE-NEXT: static const crosspipe_chunk crosspipe_chunk_table[2] = {
// TABLE-NEXT:   {0, 1.0, 2.0, 0.0, 0.0, 0.0},
// TABLE-NEXT:   {1, 1.0, 2.0, 0.0, 0.0, 0.0},
// TABLE-NEXT: };
// TABLE-NEXT: // Buffers: device, role, chunk (a message's boundary), slots, bytes per slot, name
// TABLE-NEXT: static const crosspipe_buffer crosspipe_buffer_table[8] = {
// TABLE-NEXT:   {0, CROSSPIPE_STASH, 0, 1, 1048576u, "stash0"},
// TABLE-NEXT:   {0, CROSSPIPE_PARAM_GRAD, 0, 1, 2097152u, "pgrad0"},
// TABLE-NEXT:   {1, CROSSPIPE_STASH, 1, 1, 1048576u, "stash1"},
// TABLE-NEXT:   {1, CROSSPIPE_PARAM_GRAD, 1, 1, 2097152u, "pgrad1"},
// TABLE-NEXT:   {0, CROSSPIPE_ACT, 0, 1, 1048576u, "act0_d0"},
// TABLE-NEXT:   {1, CROSSPIPE_GRAD, 0, 1, 1048576u, "grad0_d1"},
// TABLE-NEXT:   {1, CROSSPIPE_ACT, 0, 1, 1048576u, "act0_d1"},
// TABLE-NEXT:   {0, CROSSPIPE_GRAD, 0, 1, 1048576u, "grad0_d0"},
// TABLE-NEXT: };
// TABLE-NEXT: // Channels: src, dst, role, link, latency (ms), Gbit/s
// TABLE-NEXT: static const crosspipe_channel crosspipe_channel_table[2] = {
// TABLE-NEXT:   {0, 1, CROSSPIPE_ACT, 0, 2.0, 8.388608},
// TABLE-NEXT:   {1, 0, CROSSPIPE_GRAD, 1, 2.0, 8.388608},
// TABLE-NEXT: };
// TABLE-NEXT: // Links of the model
// TABLE-NEXT: static const crosspipe_link crosspipe_link_table[2] = {
// TABLE-NEXT:   {"east->west"},
// TABLE-NEXT:   {"west->east"},
// TABLE-NEXT: };
// TABLE-NEXT: // Device 0: 6 actions (op, chunk, mb, slot, out, stash, part, parts; trailing zeros omitted)
// TABLE-NEXT: static const crosspipe_action crosspipe_program_0[6] = {
// TABLE-NEXT:   {1},
// TABLE-NEXT:   {0},
// TABLE-NEXT:   {5},
// TABLE-NEXT:   {8},
// TABLE-NEXT:   {0,3},
// TABLE-NEXT:   {2},
// TABLE-NEXT: };
// TABLE-NEXT: // Device 1: 6 actions (op, chunk, mb, slot, out, stash, part, parts; trailing zeros omitted)
// TABLE-NEXT: static const crosspipe_action crosspipe_program_1[6] = {
// TABLE-NEXT:   {7},
// TABLE-NEXT:   {0},
// TABLE-NEXT:   {1,1},
// TABLE-NEXT:   {2,1},
// TABLE-NEXT:   {0,3},
// TABLE-NEXT:   {6},
// TABLE-NEXT: };
// TABLE-NEXT: // Programs: device, action count, actions
// TABLE-NEXT: static const crosspipe_program crosspipe_program_table[2] = {
// TABLE-NEXT:   {0, 6, crosspipe_program_0},
// TABLE-NEXT:   {1, 6, crosspipe_program_1},
// TABLE-NEXT: };
// TABLE-NEXT: // The plan
// TABLE-NEXT: static const crosspipe_plan crosspipe_plan_data = {
// TABLE-NEXT:   1, "s_plan", "1f1b",
// TABLE-NEXT:   CROSSPIPE_ARRANGE_NCCL,
// TABLE-NEXT:   2, 2, 1, 1, /* devices, chunks, microbatches, dp_degree */
// TABLE-NEXT:   12.0, 0.0, /* makespan_ms, lower_bound_ms */
// TABLE-NEXT:   crosspipe_chunk_table,
// TABLE-NEXT:   8, crosspipe_buffer_table,
// TABLE-NEXT:   2, crosspipe_channel_table,
// TABLE-NEXT:   2, crosspipe_link_table,
// TABLE-NEXT:   crosspipe_program_table
// TABLE-NEXT: };
// TABLE-NEXT: const crosspipe_plan* crosspipe_compiled_plan() {
// TABLE-NEXT:   return &crosspipe_plan_data;
// TABLE-NEXT: }
// TABLE-NOT:  crosspipe_exec

// The unrolled form: the same tables (here arranged for emulation), then
// one call per entry, grouped under a comment naming the action, its
// simulated time and what its waits wait for.
// UNROLLED:      #include "crosspipe/Runtime/Plan.h"
// UNROLLED:      CROSSPIPE_ARRANGE_EMULATE,
// UNROLLED:      extern "C" {
// UNROLLED-NEXT: typedef struct crosspipe_runtime crosspipe_runtime;
// UNROLLED-NEXT: void crosspipe_exec(crosspipe_runtime *rt, int32_t device, int32_t index);
// UNROLLED-NEXT: void crosspipe_compiled_step(crosspipe_runtime *rt, int32_t device);
// UNROLLED-NEXT: }
// UNROLLED-NEXT: static void crosspipe_step_device_0(crosspipe_runtime* v1) {
// UNROLLED-NEXT:   // device 0: F chunk 0 mb 0, simulated 0 ms to 1 ms
// UNROLLED-NEXT:   crosspipe_exec(v1, 0, 0);
// UNROLLED-NEXT:   // device 0: send act chunk 0 mb 0 to device 1 on channel 0 over link east->west, simulated link time 1 ms to 2 ms; waits for F chunk 0 mb 0
// UNROLLED-NEXT:   crosspipe_exec(v1, 0, 1);
// UNROLLED-NEXT:   crosspipe_exec(v1, 0, 2);
// UNROLLED-NEXT:   // device 0: recv grad chunk 0 mb 0 from device 1 on channel 1 over link west->east, arrives at 10 ms (simulated)
// UNROLLED-NEXT:   crosspipe_exec(v1, 0, 3);
// UNROLLED-NEXT:   // device 0: B chunk 0 mb 0, simulated 10 ms to 12 ms; waits for recv grad chunk 0 mb 0 from device 1
// UNROLLED-NEXT:   crosspipe_exec(v1, 0, 4);
// UNROLLED-NEXT:   crosspipe_exec(v1, 0, 5);
// UNROLLED-NEXT:   return;
// UNROLLED-NEXT: }
// UNROLLED-LABEL: void crosspipe_compiled_step(crosspipe_runtime* v1, int32_t v2) {
// UNROLLED-NEXT:   bool v3 = v2 == 0;
// UNROLLED-NEXT:   if (v3) {
// UNROLLED-NEXT:     crosspipe_step_device_0(v1);
// UNROLLED-NEXT:   }
// UNROLLED-NEXT:   bool v4 = v2 == 1;
// UNROLLED-NEXT:   if (v4) {
// UNROLLED-NEXT:     crosspipe_step_device_1(v1);

// form=auto (the default) unrolls a plan this small.
// AUTO: static const crosspipe_action crosspipe_program_0[6] = {
// AUTO: void crosspipe_compiled_step(
