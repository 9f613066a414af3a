//===- CrossPipeOps.td - Cluster, pipeline and schedule ops -*- tablegen -*-===//
//
// The ops of the crosspipe dialect. Structural invariants are checked by op
// verifiers; invariants that span symbols (a stage's device against its
// cluster, a schedule's blocks against its pipeline) live in
// verifySymbolUses with a note at the related op.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_OPS
#define CROSSPIPE_OPS

include "CrossPipeDialect.td"
include "CrossPipeAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"

//===----------------------------------------------------------------------===//
// Cluster
//===----------------------------------------------------------------------===//

def CrossPipe_ClusterOp : CrossPipe_Op<"cluster", [
    Symbol, SymbolTable, NoTerminator, SingleBlock, NoRegionArguments,
    IsolatedFromAbove]> {
  let summary = "Datacenters and the network between them";
  let description = [{
    A cluster holds `crosspipe.datacenter` ops, the directed
    `crosspipe.link`s between them and optionally `crosspipe.device_link`s
    that override them for single device pairs. Devices are numbered globally in the
    order the datacenters appear (the first datacenter's devices come
    first). A link from a datacenter to itself describes the network inside
    it: there every directed device pair is its own link with that cost.

    ```mlir
    crosspipe.cluster @net {
      crosspipe.datacenter @east devices 4
      crosspipe.datacenter @west devices 4 memory 96 GiB
      crosspipe.link @east -> @east latency 0.01 ms bandwidth 200 Gbps
      crosspipe.link @east -> @west latency 20 ms bandwidth 100 Gbps
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// Total number of devices over all datacenters.
    int64_t getNumDevices();
    /// The datacenter holding a global device index, or null.
    DatacenterOp getDatacenterOfDevice(int64_t device);
    /// The directed link between two datacenters, or null.
    LinkOp getLink(llvm::StringRef from, llvm::StringRef to);
    /// The directed link between two devices, or null.
    DeviceLinkOp getDeviceLink(int64_t from, int64_t to);
  }];
}

def CrossPipe_DatacenterOp : CrossPipe_Op<"datacenter", [
    Symbol, HasParent<"ClusterOp">]> {
  let summary = "A datacenter and its devices";
  let description = [{
    A datacenter with `devices` accelerators (1 to 2^31 - 1, and at most
    2^31 - 1 over the whole cluster) and, optionally, the memory of each
    device.

    ```mlir
    crosspipe.datacenter @west devices 4 memory 96 GiB
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, CrossPipe_IntAttr:$devices,
                       OptionalAttr<CrossPipe_BytesAttr>:$device_memory);
  let assemblyFormat = [{
    $sym_name `devices` $devices custom<OptionalMemory>($device_memory)
    attr-dict
  }];
  let hasVerifier = 1;
}

def CrossPipe_LinkOp : CrossPipe_Op<"link", [HasParent<"ClusterOp">]> {
  let summary = "A directed network link between datacenters";
  let description = [{
    The alpha-beta cost of sending from one datacenter to another: a message
    of S bytes takes `latency + S * 8 / bandwidth`. Messages that cross
    between two datacenters share the directed link and queue on it. A link
    from a datacenter to itself gives the cost inside it.

    ```mlir
    crosspipe.link @east -> @west latency 20 ms bandwidth 100 Gbps
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$from, FlatSymbolRefAttr:$to,
                       CrossPipe_TimeAttr:$latency,
                       CrossPipe_BandwidthAttr:$bandwidth);
  let assemblyFormat = [{
    $from `->` $to `latency` custom<Time>($latency)
    `bandwidth` custom<Bandwidth>($bandwidth) attr-dict
  }];
  let hasVerifier = 1;
}

def CrossPipe_DeviceLinkOp : CrossPipe_Op<"device_link",
                                          [HasParent<"ClusterOp">]> {
  let summary = "The cost of sending from one device to another";
  let description = [{
    Overrides the link between the devices' datacenters for messages from
    device `from` to device `to` (global device indices): they pay this
    latency and bandwidth instead. Between datacenters they still queue on
    the datacenters' link with every other device pair's messages, unless
    `separate_path` gives the pair a path of its own.

    ```mlir
    crosspipe.device_link 3 -> 4 latency 5 ms bandwidth 400 Gbps
    crosspipe.device_link 0 -> 7 latency 20 ms bandwidth 50 Gbps separate_path
    ```
  }];
  let arguments = (ins CrossPipe_IntAttr:$from, CrossPipe_IntAttr:$to,
                       CrossPipe_TimeAttr:$latency,
                       CrossPipe_BandwidthAttr:$bandwidth,
                       UnitAttr:$separate_path);
  let assemblyFormat = [{
    $from `->` $to `latency` custom<Time>($latency)
    `bandwidth` custom<Bandwidth>($bandwidth)
    (`separate_path` $separate_path^)? attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pipeline
//===----------------------------------------------------------------------===//

def CrossPipe_PipelineOp : CrossPipe_Op<"pipeline", [
    Symbol, NoTerminator, SingleBlock, NoRegionArguments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Model chunks placed on the devices of a cluster";
  let description = [{
    A training step: the `crosspipe.stage`s (model chunks) in model order,
    each on a device of the cluster, run for `microbatches` microbatches.
    With `split_backward` each stage's backward pass is split into an
    input-gradient block D and a weight-gradient block W (zero-bubble
    style); otherwise it is one block B. `placement` names the rule that
    placed the stages (`custom` when they were placed one by one).

    The optional `memory` clause bounds the activation memory of each device
    (one limit per device) and may say where the limits came from:
    `relative_to_1f1b f` (f * (P - d) times the device's largest stage
    activation, what 1F1B holds on device d), `relative_to_1f1b_peak f`
    (f * P times it on every device: what 1F1B holds on its busiest one), or
    `device_memory weights [...] gradients [...] optimizer [...] reserved S`
    (each device's memory, from its datacenter, less what it keeps besides
    activations; the limit plus these is the device memory).
    `microbatches` and the data-parallel degree `N` are from 1 to 2^31 - 1.
    `data_parallel N span` replicates the pipeline N times; each stage's
    gradient is all-reduced once per step across the replicas, inside a
    datacenter (`intra_dc`) or over the slowest cross-datacenter link
    (`cross_dc`).

    ```mlir
    crosspipe.pipeline @step on @net microbatches 16 placement unidirectional
        split_backward memory [8 GiB, 4 GiB] relative_to_1f1b 1.0 {
      crosspipe.stage device 0 forward 38 ms dgrad 38 ms wgrad 30 ms
          activation 4 GiB message 64 MiB gradient 2000 MiB
      crosspipe.stage device 1 forward 38 ms dgrad 38 ms wgrad 30 ms
          activation 4 GiB message 0 B gradient 2000 MiB
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       FlatSymbolRefAttr:$cluster,
                       CrossPipe_IntAttr:$microbatches,
                       CrossPipe_PlacementAttr:$placement,
                       UnitAttr:$split_backward,
                       OptionalAttr<TypedArrayAttrBase<CrossPipe_BytesAttr,
                           "array of byte sizes">>:$memory_limits,
                       OptionalAttr<F64Attr>:$memory_relative,
                       OptionalAttr<F64Attr>:$memory_relative_peak,
                       OptionalAttr<TypedArrayAttrBase<CrossPipe_BytesAttr,
                           "array of byte sizes">>:$memory_weights,
                       OptionalAttr<TypedArrayAttrBase<CrossPipe_BytesAttr,
                           "array of byte sizes">>:$memory_gradients,
                       OptionalAttr<TypedArrayAttrBase<CrossPipe_BytesAttr,
                           "array of byte sizes">>:$memory_optimizer,
                       OptionalAttr<CrossPipe_BytesAttr>:$memory_reserved,
                       DefaultValuedAttr<CrossPipe_IntAttr, "1">:$dp_degree,
                       DefaultValuedAttr<CrossPipe_DpSpanAttr,
                           "::crosspipe::DpSpan::intra_dc">:$dp_span);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `on` $cluster `microbatches` $microbatches
    `placement` $placement (`split_backward` $split_backward^)?
    custom<Memory>($memory_limits, $memory_relative, $memory_relative_peak,
                   $memory_weights, $memory_gradients, $memory_optimizer,
                   $memory_reserved)
    custom<DataParallel>($dp_degree, $dp_span)
    attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The stages in model order.
    llvm::SmallVector<StageOp, 8> getStages();
  }];
}

def CrossPipe_StageOp : CrossPipe_Op<"stage", [HasParent<"PipelineOp">]> {
  let summary = "A model chunk on a device with its per-microbatch costs";
  let description = [{
    One model chunk, in model order within its pipeline. Times are per
    microbatch: `forward`, and either `backward` or `dgrad` and `wgrad`
    (when the pipeline has `split_backward`). `activation` is allocated by
    the forward block and released by the backward: all of it by B, or, when
    split, all but `wgrad_activation` by D and that by W (`wgrad_activation`
    is what W still needs, the inputs of the weight matmuls; without it W
    keeps the whole activation). With `recompute` the forward block keeps
    only a checkpoint (`checkpoint`, by default the activation the stage
    received: the previous stage's `message`, the first stage's own) and the
    backward block (B, or D when split) re-runs the forward first: it takes
    `forward` longer and allocates the rest of the activation when it
    starts. Sub-blocks allocate and release it slice by
    slice. `message` is the activation sent to the next stage (the gradient
    sent back has the same size); `gradient` is the size of this chunk's
    parameter gradient all-reduced across data parallelism.

    ```mlir
    crosspipe.stage device 0 forward 38 ms dgrad 38 ms wgrad 30 ms
        activation 4 GiB wgrad_activation 1 GiB message 64 MiB
        gradient 2000 MiB
    crosspipe.stage device 1 forward 38 ms dgrad 38 ms wgrad 30 ms
        activation 4 GiB recompute checkpoint 64 MiB message 64 MiB
        gradient 2000 MiB
    ```
  }];
  let arguments = (ins CrossPipe_IntAttr:$device, CrossPipe_TimeAttr:$forward,
                       OptionalAttr<CrossPipe_TimeAttr>:$backward,
                       OptionalAttr<CrossPipe_TimeAttr>:$dgrad,
                       OptionalAttr<CrossPipe_TimeAttr>:$wgrad,
                       CrossPipe_BytesAttr:$activation,
                       OptionalAttr<CrossPipe_BytesAttr>:$wgrad_activation,
                       UnitAttr:$recompute,
                       OptionalAttr<CrossPipe_BytesAttr>:$checkpoint,
                       CrossPipe_BytesAttr:$message,
                       CrossPipe_BytesAttr:$gradient);
  let assemblyFormat = [{
    `device` $device `forward` custom<Time>($forward)
    custom<Backward>($backward, $dgrad, $wgrad)
    `activation` custom<Activation>($activation, $wgrad_activation,
                                    $recompute, $checkpoint)
    `message` custom<Bytes>($message)
    `gradient` custom<Bytes>($gradient) attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Position of this stage in model order.
    int64_t getIndex();
    /// Sets the activation-memory fields of `chunk` (activation, what W
    /// keeps, recomputation and checkpoint, message) from this stage, as
    /// the schedulers read them.
    void copyMemoryTo(::crosspipe::sched::Chunk &chunk);
  }];
}

//===----------------------------------------------------------------------===//
// Schedule
//===----------------------------------------------------------------------===//

def CrossPipe_ScheduleOp : CrossPipe_Op<"schedule", [
    Symbol, NoTerminator, SingleBlock, NoRegionArguments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "A schedule of a pipeline: one ordered program per device";
  let description = [{
    The result of a scheduling algorithm for the pipeline `pipeline`: one
    `crosspipe.program` per device listing its compute blocks in execution
    order, and optionally the `crosspipe.transfer`s between devices with
    their link occupancy. The simulator annotates `makespan`,
    `lower_bound` (the best bound known on the optimal makespan) and, for
    the optimal solver, `optimal` and `gap`, its model's time `resolution`
    and `optimal_within_resolution`: the solver proved the optimum of its
    model, whose durations are rounded to that resolution, so any gap left
    is rounding.

    ```mlir
    crosspipe.schedule @s for @step algorithm "1f1b" {
      crosspipe.program device 0 {
        crosspipe.compute F chunk 0 mb 0
        crosspipe.compute B chunk 0 mb 0
      }
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       FlatSymbolRefAttr:$pipeline,
                       StrAttr:$algorithm,
                       OptionalAttr<CrossPipe_TimeAttr>:$makespan,
                       OptionalAttr<CrossPipe_TimeAttr>:$lower_bound,
                       OptionalAttr<BoolAttr>:$optimal,
                       OptionalAttr<F64Attr>:$gap,
                       OptionalAttr<CrossPipe_TimeAttr>:$resolution,
                       OptionalAttr<BoolAttr>:$optimal_within_resolution);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `for` $pipeline `algorithm` $algorithm
    attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    llvm::SmallVector<ProgramOp, 8> getPrograms();
  }];
}

def CrossPipe_ProgramOp : CrossPipe_Op<"program", [
    HasParent<"ScheduleOp">, NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "The ordered blocks and collectives of one device";
  let description = [{
    The work of one device in execution order: `crosspipe.compute` blocks on
    its compute stream and `crosspipe.collective` collectives on its
    communication stream. The simulator annotates `bubble` (idle fraction of
    the makespan) and `peak_memory` (peak activation memory).

    ```mlir
    crosspipe.program device 1 {
      crosspipe.compute F chunk 1 mb 0 [38 ms, 76 ms]
    }
    ```
  }];
  let arguments = (ins CrossPipe_IntAttr:$device, OptionalAttr<F64Attr>:$bubble,
                       OptionalAttr<CrossPipe_BytesAttr>:$peak_memory);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "`device` $device attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def CrossPipe_ComputeOp : CrossPipe_Op<"compute", [HasParent<"ProgramOp">]> {
  let summary = "One compute block: F, B, D or W of a chunk and microbatch";
  let description = [{
    A forward (F), backward (B), input-gradient (D) or weight-gradient (W)
    block of stage `chunk` for microbatch `mb`. A block may be cut into
    `parts` equal sub-blocks (`part 0 of 2`, with 0 <= part < parts); its
    inputs attach to the first part and its outputs leave from the last.
    Simulated start and end times are optional. Chunks, microbatches and
    parts are at most 2^31 - 1.

    ```mlir
    crosspipe.compute D chunk 3 mb 7 part 1 of 2 [1.5 ms, 2.5 ms]
    ```
  }];
  let arguments = (ins CrossPipe_BlockKindAttr:$kind, CrossPipe_IntAttr:$chunk,
                       CrossPipe_IntAttr:$mb, OptionalAttr<CrossPipe_IntAttr>:$part,
                       OptionalAttr<CrossPipe_IntAttr>:$parts,
                       OptionalAttr<CrossPipe_TimeAttr>:$start,
                       OptionalAttr<CrossPipe_TimeAttr>:$end);
  let assemblyFormat = [{
    $kind `chunk` $chunk `mb` $mb (`part` $part^ `of` $parts)?
    custom<Span>($start, $end) attr-dict
  }];
  let hasVerifier = 1;
}


def CrossPipe_CollectiveOp : CrossPipe_Op<"collective", [
    HasParent<"ProgramOp">]> {
  let summary = "A data-parallel collective of one chunk's gradient";
  let description = [{
    The all-reduce of stage `chunk`'s gradient across the data-parallel
    replicas, on the device's communication stream. It may start once the
    last W (or B) of the chunk has ended.

    `--crosspipe-dp-overlap` may split a chunk's gradient into buckets
    (`bucket i of n`; bucket 0 holds the chunk's last layers, which the
    backward pass reaches first): bucket i may start once every
    microbatch's W (or B) has done (i + 1) / n of its work (0 <= i < n <=
    2^31 - 1). Under ZeRO-1 the
    gradient is reduce-scattered (`reduce_scatter`) and the parameters are
    all-gathered (`all_gather`, never bucketed) before the chunk's first F.
    Without a kind the collective is an all-reduce.

    ```mlir
    crosspipe.collective chunk 0 [900 ms, 1100 ms]
    crosspipe.collective reduce_scatter chunk 1 bucket 0 of 2 [850 ms, 900 ms]
    crosspipe.collective all_gather chunk 1 [0 ms, 100 ms]
    ```
  }];
  let arguments = (ins CrossPipe_IntAttr:$chunk,
                       OptionalAttr<CrossPipe_TimeAttr>:$start,
                       OptionalAttr<CrossPipe_TimeAttr>:$end,
                       OptionalAttr<CrossPipe_CollectiveKindAttr>:$kind,
                       OptionalAttr<CrossPipe_IntAttr>:$bucket,
                       OptionalAttr<CrossPipe_IntAttr>:$buckets);
  let assemblyFormat = [{
    ($kind^)? `chunk` $chunk (`bucket` $bucket^ `of` $buckets)?
    custom<Span>($start, $end) attr-dict
  }];
  let builders = [
    // An all-reduce of the whole gradient, as before buckets and ZeRO-1.
    OpBuilder<(ins "int64_t":$chunk, "::crosspipe::TimeAttr":$start,
                   "::crosspipe::TimeAttr":$end), [{
      build($_builder, $_state, chunk, start, end, CollectiveKindAttr(),
            ::mlir::IntegerAttr(), ::mlir::IntegerAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The collective's kind; all-reduce when not given.
    CollectiveKind getKindOrDefault() {
      return getKind().value_or(CollectiveKind::all_reduce);
    }
  }];
}

def CrossPipe_TransferOp : CrossPipe_Op<"transfer", [
    HasParent<"ScheduleOp">]> {
  let summary = "A point-to-point message between two devices";
  let description = [{
    The activation (`act`, from stage `chunk` to `chunk + 1`) or gradient
    (`grad`, from stage `chunk + 1` back to `chunk`) of microbatch `mb`,
    sent from device `src` to device `dst`. The span is the time the message
    occupies its link's bandwidth; `arrives` is when the consumer may use it.

    ```mlir
    crosspipe.transfer act chunk 3 mb 0 from 3 to 4 [152 ms, 157.4 ms]
        arrives 177.4 ms
    ```
  }];
  let arguments = (ins CrossPipe_TransferKindAttr:$kind, CrossPipe_IntAttr:$chunk,
                       CrossPipe_IntAttr:$mb, CrossPipe_IntAttr:$src, CrossPipe_IntAttr:$dst,
                       OptionalAttr<CrossPipe_TimeAttr>:$start,
                       OptionalAttr<CrossPipe_TimeAttr>:$end,
                       OptionalAttr<CrossPipe_TimeAttr>:$arrival);
  let assemblyFormat = [{
    $kind `chunk` $chunk `mb` $mb `from` $src `to` $dst
    custom<Span>($start, $end) custom<Arrival>($arrival) attr-dict
  }];
  let hasVerifier = 1;
}

include "CrossPipePlanOps.td"

#endif // CROSSPIPE_OPS
