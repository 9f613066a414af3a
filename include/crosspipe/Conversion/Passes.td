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
  let summary = "Lower an execution plan to EmitC: the plan as constant "
                "tables for the runtime";
  let description = [{
    Lowers the module's `crosspipe.plan` (the one named by `plan` if there
    are several) to EmitC, then removes every crosspipe op: the result is a
    module that `crosspipe-translate --mlir-to-cpp` prints as standalone C++
    that includes only `crosspipe/Runtime/Plan.h` (no CUDA or NCCL header:
    one file runs on the runtime's CUDA and host executors). The plan must
    pass `--crosspipe-verify-plan` (it is checked again here).

    The plan becomes the tables of Plan.h (plan::buildTables,
    include/crosspipe/Plan/PlanTables.h): `static const` arrays
    `crosspipe_program_<d>` (one action per line, trailing zero fields
    omitted), the chunk, buffer, channel, link and program tables, and
    `const crosspipe_plan *crosspipe_compiled_plan(void)` returning them.
    `backend` sets the plan's arrangement (`nccl`: one process per device;
    `emulate`: one process plays every device).

    `form=table` stops there: the runtime loops over each program.
    `form=unrolled` adds, per device, a function with one
    `crosspipe_exec(rt, device, index)` call per action (a wait included)
    and a comment per action naming it, its simulated time and what it waits
    for, and the entry `void crosspipe_compiled_step(crosspipe_runtime *rt,
    int32_t device)` that runs the function of `device`. `form=auto`
    (default) is `unrolled` up to 2000 program entries, `table` above.
  }];
  let options = [
    Option<"backend", "backend", "::crosspipe::PlanBackend",
           /*default=*/"::crosspipe::PlanBackend::Nccl",
           "how the plan maps onto processes and GPUs",
           [{::crosspipe::planBackendValues()}]>,
    Option<"form", "form", "::crosspipe::PlanForm",
           /*default=*/"::crosspipe::PlanForm::Auto",
           "how the generated file spells the plan",
           [{::crosspipe::planFormValues()}]>,
    Option<"planName", "plan", "std::string", /*default=*/"\"\"",
           "the crosspipe.plan to lower (default: the only one)">
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

def ConvertCrossPipeScheduleToEmitCPass
    : Pass<"convert-crosspipe-schedule-to-emitc", "mlir::ModuleOp"> {
  let summary = "Plan a schedule as data, prove the plan and lower it to "
                "EmitC, without plan IR";
  let description = [{
    What `--crosspipe-execution-plan`, `--crosspipe-verify-plan` and
    `--convert-crosspipe-to-emitc` do together, on plan data instead of
    `crosspipe.plan` IR: the module's `crosspipe.schedule` (the one named by
    `schedule` if there are several) is simulated, planned (plan::buildPlan),
    proven runnable (plan::checkPlan, the proof of `--crosspipe-verify-plan`;
    a fault is reported at the schedule with notes at its blocks) and
    written as the tables and entry points described under
    `--convert-crosspipe-to-emitc`, with the same options. Every crosspipe
    op is removed. Unlike plan IR, plan data holds the bucketed and ZeRO-1
    collectives of `--crosspipe-dp-overlap`: an all-reduce or reduce-scatter
    per gradient bucket (after the block parts that complete its share) and
    an all-gather per chunk (before its first F). `--crosspipe-compile` ends with this pass: at 64 devices
    x 512 microbatches the plan IR alone would be several hundred MB.
  }];
  let options = [
    Option<"backend", "backend", "::crosspipe::PlanBackend",
           /*default=*/"::crosspipe::PlanBackend::Nccl",
           "how the plan maps onto processes and GPUs",
           [{::crosspipe::planBackendValues()}]>,
    Option<"form", "form", "::crosspipe::PlanForm",
           /*default=*/"::crosspipe::PlanForm::Auto",
           "how the generated file spells the plan",
           [{::crosspipe::planFormValues()}]>,
    Option<"scheduleName", "schedule", "std::string", /*default=*/"\"\"",
           "the crosspipe.schedule to lower (default: the only one)">
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // CROSSPIPE_CONVERSION_PASSES
