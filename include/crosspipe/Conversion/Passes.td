//===- ConversionPasses.td - CrossPipe conversions ---------*- tablegen -*-===//
//
// Conversions out of the crosspipe dialect. Kept apart from the transforms'
// Passes.td so that registering the transforms needs only their library;
// tools that lower to C++ register these too.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_CONVERSION_PASSES
#define CROSSPIPE_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertCrossPipeToEmitCPass : Pass<"convert-crosspipe-to-emitc",
                                       "mlir::ModuleOp"> {
  let summary = "Lower an execution plan to EmitC calling CUDA and NCCL";
  let description = [{
    Lowers the module's `crosspipe.plan` (the one named by `plan` if there
    are several) to EmitC, then removes every crosspipe op: the result is a
    module that `crosspipe-translate --mlir-to-cpp` prints as standalone
    C++ against include/crosspipe/Runtime/Runtime.h. The plan must pass
    `--crosspipe-verify-plan` (it is checked again here).

    The module gets `crosspipe_plan_describe` (the plan's devices, chunk
    costs, buffers, events, channels, links and timed records) and
    `crosspipe_plan_step`, which enqueues one training step:

    - every block: waits on its input events (`cudaStreamWaitEvent`),
      records a start event, checks its input and stash tags, calls the
      stage entry point of its kind (`crosspipe_stage_forward`, ...), writes
      its output tags and records its end event, all on the compute stream;
    - `backend=nccl`: one function per device, dispatched on the process's
      device; sends and receives are `ncclSend`/`ncclRecv` on one
      communicator per direction, kind and device pair; a receive records
      its arrival event (after the link's latency when WAN emulation is on);
      DP all-reduces are `ncclAllReduce` on the dp stream;
    - `backend=emulate`: one function that enqueues every device's work in
      plan order on one GPU; a send is a device-to-device copy on its link's
      stream, after the link's bandwidth time and before its latency, and
      the receive is the arrival event it records; DP all-reduces occupy the
      dp stream for their modelled time.

    Every call's status is checked with a message naming the device, the
    block and the microbatch.
  }];
  let options = [
    Option<"backend", "backend", "::crosspipe::PlanBackend",
           /*default=*/"::crosspipe::PlanBackend::Nccl",
           "how the plan maps onto GPUs",
           [{::crosspipe::planBackendValues()}]>,
    Option<"planName", "plan", "std::string", /*default=*/"\"\"",
           "the crosspipe.plan to lower (default: the only one)">
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // CROSSPIPE_CONVERSION_PASSES
