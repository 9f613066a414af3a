//===- CrossPipePlanOps.td - Execution-plan ops ------------*- tablegen -*-===//
//
// The second layer of the execution engine: where a schedule says which block
// runs when on each device, a plan says on which CUDA stream every operation
// runs, which events order the streams, where each transfer is sent and
// received, and which buffer slot every microbatch uses. Plan ops produce a
// `none`-typed token that stands for the op's completion event; waiting on
// it is listing it in `after(...)`. Included from CrossPipeOps.td, so the
// ops share the dialect's op list and custom directives.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_PLAN_OPS
#define CROSSPIPE_PLAN_OPS

include "mlir/IR/SymbolInterfaces.td"



class CrossPipe_PlanOp<string mnemonic, list<Trait> traits = []>
    : CrossPipe_Op<mnemonic, !listconcat(traits, [HasParent<"PlanOp">])>;

//===----------------------------------------------------------------------===//
// The plan
//===----------------------------------------------------------------------===//

def CrossPipe_PlanOp : CrossPipe_Op<"plan", [
    Symbol, SymbolTable, NoTerminator, SingleBlock, NoRegionArguments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "An execution plan of a schedule: streams, events, buffers";
  let description = [{
    How schedule `schedule` runs on `devices` devices (1 to 2^31 - 1; every
    device an op names is below it): its buffers, then every stream
    operation (`crosspipe.exec`, `crosspipe.send`,
    `crosspipe.recv`, `crosspipe.dp_allreduce`) of every device, in one
    global issue order. Restricted to one device the order is the order in
    which that device's host thread enqueues its work, and restricted to
    one stream it is the stream's FIFO order. Events are the ops' results,
    so SSA dominance is the rule that a wait is enqueued after its record.
    An op waits only on events of its own device; devices synchronize
    through matching sends and receives alone. Each device has a compute
    stream, four communication streams ({send, recv} x {next, prev}) and a
    `dp` stream. `makespan` is the schedule's simulated makespan.

    `--crosspipe-verify-plan` proves a plan deadlock-free and its buffers
    race-free; the op verifiers check only local structure.

    ```mlir
    crosspipe.plan @s_plan for @s devices 2 makespan 40 ms {
      crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 1 size 4 MiB
      crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 1 size 4 MiB
      %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0]
      %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev
          buffer @act0_d1[0]
      %2 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next
          buffer @act0_d0[0] after(%0)
      %3 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] after(%1)
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       FlatSymbolRefAttr:$schedule,
                       CrossPipe_IntAttr:$devices,
                       OptionalAttr<CrossPipe_TimeAttr>:$makespan);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `for` $schedule `devices` $devices
    (`makespan` custom<Time>($makespan)^)?
    attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The device that enqueues a stream op (the sender of a send, the
    /// receiver of a receive), or -1 for a buffer.
    static int64_t getOpDevice(::mlir::Operation *op);
    /// The stream a stream op runs on (compute for a buffer).
    static PlanStream getOpStream(::mlir::Operation *op);
  }];
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

def CrossPipe_BufferOp : CrossPipe_PlanOp<"buffer", [Symbol]> {
  let summary = "A buffer of a device, planned at compile time in slots";
  let description = [{
    Memory of one device, allocated once before the first step and cut into
    `slots` equal slots (1 to 2^31 - 1) of `size` bytes; each microbatch in
    flight occupies one slot, so a step never allocates. `role` says what a
    slot holds:

    - `stash`: the activations chunk `chunk` keeps from F until its W (or B);
    - `act`: the activation chunk `chunk` sends to chunk `chunk + 1` (on the
      producer's device a send buffer, on the consumer's a receive buffer;
      one buffer when both chunks share a device);
    - `grad`: the gradient chunk `chunk + 1` sends back to chunk `chunk`;
    - `param_grad`: chunk `chunk`'s parameter gradient (one slot), written
      by its W (or B) blocks and all-reduced across data parallelism.

    ```mlir
    crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 4 MiB
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, CrossPipe_IntAttr:$device,
                       CrossPipe_BufferRoleAttr:$role,
                       CrossPipe_IntAttr:$chunk, CrossPipe_IntAttr:$slots,
                       CrossPipe_BytesAttr:$size);
  let assemblyFormat = [{
    $sym_name `device` $device $role `chunk` $chunk `slots` $slots
    `size` custom<Bytes>($size) attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Operations on streams
//===----------------------------------------------------------------------===//

def CrossPipe_ExecOp : CrossPipe_PlanOp<"exec"> {
  let summary = "A compute block on a device's compute stream";
  let description = [{
    Runs block `kind` of chunk `chunk` for microbatch `mb` (optionally part
    `part` of `parts`) on the compute stream of `device`, after the events
    in `after` (received inputs, and sends that must have read an output
    slot before it is overwritten). `in` is the activation (F) or gradient
    (B, D) it reads, `out` the one it writes, `stash` the microbatch's
    activation slot and `grads` the chunk's parameter gradient (W, B). The
    result is the block's completion event. The optional span is the
    simulated time.

    ```mlir
    %3 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0]
        out @act1_d1[0] stash @stash1[0] after(%1) [10.4 ms, 20.4 ms]
    ```
  }];
  let arguments = (ins CrossPipe_BlockKindAttr:$kind, CrossPipe_IntAttr:$chunk,
                       CrossPipe_IntAttr:$mb,
                       OptionalAttr<CrossPipe_IntAttr>:$part,
                       OptionalAttr<CrossPipe_IntAttr>:$parts,
                       CrossPipe_IntAttr:$device,
                       OptionalAttr<FlatSymbolRefAttr>:$input,
                       OptionalAttr<CrossPipe_IntAttr>:$input_slot,
                       OptionalAttr<FlatSymbolRefAttr>:$output,
                       OptionalAttr<CrossPipe_IntAttr>:$output_slot,
                       OptionalAttr<FlatSymbolRefAttr>:$stash,
                       OptionalAttr<CrossPipe_IntAttr>:$stash_slot,
                       OptionalAttr<FlatSymbolRefAttr>:$grads,
                       Variadic<NoneType>:$after,
                       OptionalAttr<CrossPipe_TimeAttr>:$start,
                       OptionalAttr<CrossPipe_TimeAttr>:$end);
  let results = (outs NoneType:$done);
  let assemblyFormat = [{
    $kind `chunk` $chunk `mb` $mb (`part` $part^ `of` $parts)?
    `device` $device
    (`in` $input^ `[` $input_slot `]`)?
    (`out` $output^ `[` $output_slot `]`)?
    (`stash` $stash^ `[` $stash_slot `]`)?
    (`grads` $grads^)?
    (`after` `(` $after^ `)`)?
    custom<Span>($start, $end) attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Part index and count, 0 of 1 when the block is not cut.
    int64_t getPartIndex() { return getPart().value_or(0); }
    int64_t getPartCount() { return getParts().value_or(1); }
  }];
}

def CrossPipe_SendOp : CrossPipe_PlanOp<"send"> {
  let summary = "The send half of a transfer, on the producer's send stream";
  let description = [{
    Sends the activation (`act`, chunk `chunk` to `chunk + 1`) or gradient
    (`grad`, chunk `chunk + 1` back to `chunk`) of microbatch `mb` from
    device `from` to device `to`, reading slot `buffer[slot]`, once the
    events in `after` (its producer) have completed. Activations leave on
    `send_next`, gradients on `send_prev`. As in `crosspipe.transfer`,
    `chunk` is the lower chunk of the stage boundary in both directions.
    The result completes when the send buffer may be reused. The span is
    the simulated link occupancy.

    ```mlir
    %2 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next
        buffer @act0_d0[0] after(%0) [10 ms, 14 ms]
    ```
  }];
  let arguments = (ins CrossPipe_TransferKindAttr:$kind,
                       CrossPipe_IntAttr:$chunk, CrossPipe_IntAttr:$mb,
                       CrossPipe_IntAttr:$src, CrossPipe_IntAttr:$dst,
                       CrossPipe_PlanStreamAttr:$stream,
                       FlatSymbolRefAttr:$buffer, CrossPipe_IntAttr:$slot,
                       Variadic<NoneType>:$after,
                       OptionalAttr<CrossPipe_TimeAttr>:$start,
                       OptionalAttr<CrossPipe_TimeAttr>:$end);
  let results = (outs NoneType:$done);
  let assemblyFormat = [{
    $kind `chunk` $chunk `mb` $mb `from` $src `to` $dst `on` $stream
    `buffer` $buffer `[` $slot `]` (`after` `(` $after^ `)`)?
    custom<Span>($start, $end) attr-dict
  }];
  let hasVerifier = 1;
}

def CrossPipe_RecvOp : CrossPipe_PlanOp<"recv"> {
  let summary = "The receive half of a transfer, on the consumer's stream";
  let description = [{
    Receives what the matching `crosspipe.send` (same kind, chunk,
    microbatch and devices) sends, into slot `buffer[slot]` of device `to`,
    once the events in `after` (the slot's previous reader) have completed.
    Activations arrive on `recv_prev`, gradients on `recv_next`. A receive
    is posted before its send in plan order (as early as its slot allows)
    and waited for only by the block that consumes it. The result is the
    arrival event; `arrives` is the simulated arrival time.

    ```mlir
    %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev
        buffer @act0_d1[0] arrives 19 ms
    ```
  }];
  let arguments = (ins CrossPipe_TransferKindAttr:$kind,
                       CrossPipe_IntAttr:$chunk, CrossPipe_IntAttr:$mb,
                       CrossPipe_IntAttr:$src, CrossPipe_IntAttr:$dst,
                       CrossPipe_PlanStreamAttr:$stream,
                       FlatSymbolRefAttr:$buffer, CrossPipe_IntAttr:$slot,
                       Variadic<NoneType>:$after,
                       OptionalAttr<CrossPipe_TimeAttr>:$arrival);
  let results = (outs NoneType:$done);
  let assemblyFormat = [{
    $kind `chunk` $chunk `mb` $mb `from` $src `to` $dst `on` $stream
    `buffer` $buffer `[` $slot `]` (`after` `(` $after^ `)`)?
    custom<Arrival>($arrival) attr-dict
  }];
  let hasVerifier = 1;
}

def CrossPipe_DpAllReduceOp : CrossPipe_PlanOp<"dp_allreduce"> {
  let summary = "A data-parallel all-reduce on a device's dp stream";
  let description = [{
    All-reduces chunk `chunk`'s parameter gradient (`buffer`) across the
    data-parallel replicas on the `dp` stream of `device`, after the events
    in `after` (the chunk's last W or B). The span is the simulated time.

    ```mlir
    %9 = crosspipe.dp_allreduce chunk 0 device 0 buffer @pgrad0 after(%8)
        [900 ms, 1100 ms]
    ```
  }];
  let arguments = (ins CrossPipe_IntAttr:$chunk, CrossPipe_IntAttr:$device,
                       FlatSymbolRefAttr:$buffer,
                       Variadic<NoneType>:$after,
                       OptionalAttr<CrossPipe_TimeAttr>:$start,
                       OptionalAttr<CrossPipe_TimeAttr>:$end);
  let results = (outs NoneType:$done);
  let assemblyFormat = [{
    `chunk` $chunk `device` $device `buffer` $buffer
    (`after` `(` $after^ `)`)? custom<Span>($start, $end) attr-dict
  }];
  let hasVerifier = 1;
}

#endif // CROSSPIPE_PLAN_OPS
