//===- Passes.td - CrossPipe passes ------------------------*- tablegen -*-===//
//
// The passes over crosspipe IR. Each is a thin adapter over the MLIR-free
// algorithms in crosspipe/Schedule, crosspipe/Plan and crosspipe/Solver;
// options are typed (enums list their choices in --help) so a RUN line
// shows every setting and cannot carry an invalid one.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_PASSES
#define CROSSPIPE_PASSES

include "mlir/Pass/PassBase.td"

def SchedulePass : Pass<"crosspipe-schedule", "mlir::ModuleOp"> {
  let summary = "Compute a schedule for every pipeline";
  let description = [{
    For every `crosspipe.pipeline` in the module, runs a scheduling algorithm
    and inserts a `crosspipe.schedule` (named `<pipeline>_<algorithm>` unless
    `name` is given; an existing schedule of that name is replaced) with one
    ordered program per device. Algorithms:

    - `gpipe`: all forwards, then all backwards;
    - `1f1b`: one-forward-one-backward (unidirectional placement);
    - `interleaved`: Megatron's interleaved 1F1B (interleaved placement);
    - `zb-h1`: zero-bubble H1 (split backward, unidirectional placement);
    - `zb-v`: zero-bubble V (split backward, wave placement);
    - `greedy`: the delay- and memory-aware greedy list scheduler, which tries
      several priority rules and keeps the best simulated result, and on
      small problems searches beyond them (the pilot method, then moves of
      single blocks) unless that result meets the lower bound;
    - `optimal`: the constraint-programming solver (Gecode), seeded with the
      greedy schedule and never worse than it. It stops at a proven optimum
      or after `time-limit` seconds and sets `makespan`, `lower_bound` (the
      best proven bound: the solver's or the analytic one), `optimal` and
      `gap` = (makespan - lower_bound) / makespan on the schedule, with
      `resolution` (the model's time unit, `time-resolution`) and
      `optimal_within_resolution` (the model's optimum is proven; a gap
      left is the rounding of durations to the resolution).

    An algorithm that does not apply to the pipeline (1F1B on a wave
    placement, a static schedule that exceeds the memory budget) is an error,
    never a silent fallback. The memory options override the pipeline's
    budget and are written back into the pipeline op so that later passes
    check against the same budget.

    ```
    crosspipe-opt --crosspipe-schedule="algorithm=greedy sub-blocks=2" in.mlir
    crosspipe-opt --crosspipe-schedule="algorithm=optimal time-limit=60" in.mlir
    ```
  }];
  let options = [
    Option<"algorithm", "algorithm", "::crosspipe::ScheduleAlgorithm",
           /*default=*/"::crosspipe::ScheduleAlgorithm::Greedy",
           "the scheduling algorithm",
           [{::crosspipe::scheduleAlgorithmValues()}]>,
    Option<"subBlocks", "sub-blocks", "int", /*default=*/"1",
           "greedy: cut every block into this many sub-blocks">,
    Option<"memoryRelative", "memory-relative", "double", /*default=*/"0",
           "override the budget: device d holds f*(P-d) of its largest "
           "stage activation (0 keeps the pipeline's budget)">,
    Option<"memoryRelativePeak", "memory-relative-peak", "double",
           /*default=*/"0",
           "override the budget: every device holds f*P of its largest "
           "stage activation, what 1F1B holds on its busiest device (0 keeps "
           "the pipeline's budget)">,
    Option<"memoryLimitMiB", "memory-limit-mib", "double", /*default=*/"0",
           "override the budget: this many MiB of activations per device "
           "(0 keeps the pipeline's budget)">,
    Option<"memoryUnlimited", "memory-unlimited", "bool", /*default=*/"false",
           "override the budget: no memory limit">,
    Option<"scheduleName", "name", "std::string", /*default=*/"\"\"",
           "name of the schedule op (default <pipeline>_<algorithm>)">,
    Option<"timeLimit", "time-limit", "double", /*default=*/"10",
           "optimal: wall-clock budget in seconds">,
    Option<"threads", "threads", "int", /*default=*/"1",
           "optimal: search threads (1 keeps results deterministic)">,
    Option<"timeResolution", "time-resolution", "double", /*default=*/"0",
           "optimal: the model's time unit in ms (0 picks the coarsest "
           "exact one); written as the schedule's `resolution`">
  ];
  let dependentDialects = ["::crosspipe::CrossPipeDialect"];
}

def SimulatePass : Pass<"crosspipe-simulate", "mlir::ModuleOp"> {
  let summary = "Annotate schedules with their simulated timeline";
  let description = [{
    Runs the performance model on every `crosspipe.schedule`: a block starts
    at the later of the end of the previous block on its device and the
    arrival of its inputs; a message goes onto its link when its producer
    ends, queues behind earlier messages for its bandwidth time and arrives a
    latency later; DP all-reduces run on a per-device communication stream
    after the chunk's last W (or B). Every block gets its `[start, end]`,
    transfers and all-reduces are materialized with their spans, programs get
    `bubble` and `peak_memory`, and the schedule gets `makespan` and
    `lower_bound` (the strongest analytic bound on the optimal makespan). A
    schedule that is incomplete or deadlocks is an error, with a note at each
    block that can never start.
  }];
}

def VerifySchedulePass : Pass<"crosspipe-verify-schedule", "mlir::ModuleOp"> {
  let summary = "Check that schedules are complete, ordered and feasible";
  let description = [{
    Checks every `crosspipe.schedule` against its pipeline: every block
    (each part of each kind of each chunk and microbatch) appears exactly
    once; blocks on one device respect their dependencies on the same
    device; sub-blocks come in order; the memory budget holds at every
    moment; the transfers can all be matched without deadlock; and, where
    the schedule carries simulated times, no block starts before its inputs
    can have arrived or before the previous block on its device ends.
    Violations are errors at the offending op with a note at the related
    one; a valid schedule is left unchanged.

    Data-parallel collectives (`crosspipe.collective`, see
    `--crosspipe-dp-overlap`) are checked against their dependencies too:
    each sits in the program of its chunk's device, after every W (or B) of
    the chunk (an all-gather before its first F), with consistent buckets;
    where they carry times, none starts before its gradient bucket is
    complete in every microbatch, an all-gather ends before the chunk's
    first F starts, and one device's collectives never overlap.

    Annotations that follow from the block order under the model are
    confirmed or refused, never trusted: `crosspipe.transfer` ops, when a
    schedule carries any, must be exactly the simulated messages (each once,
    with the simulated link window and arrival where timed); a timed
    collective must carry its simulated span; and the makespan, lower
    bound, gap, optimality, bubble and peak-memory claims must match the
    simulation (a lower bound may exceed the analytic one, never the
    makespan).
  }];
}

def ImportProfilePass : Pass<"crosspipe-import-profile", "mlir::ModuleOp"> {
  let summary = "Fit the pipeline's costs to measured times";
  let description = [{
    Reads a profile and updates the pipeline to what was measured: each
    stage's `forward`, `backward` (or `dgrad` and `wgrad`) becomes the median
    of its measured blocks after dropping outliers (more than 3 scaled
    median absolute deviations from the median; a sub-block counts its
    share), and each link's `bandwidth` the median of message size / link
    time over its measured transfers, and its `latency` the median of
    arrival - link-window end where a runtime profile pairs each send with
    its receive (a Chrome trace has no arrivals: latencies are then kept).
    Every fitted figure is reported as a remark at
    its op against the model's value (`chunk 1 F: measured 12 ms (model
    10 ms, +20.0%; 8 samples)`); what the profile lacks keeps its value.

    The profile is a Chrome trace in the simulator's format (what the
    runtime measures with `--trace`, or `--export-chrome-trace`), or a CSV
    whose header names `chunk`, `kind` (or `op`: F, B, D or I, W) and `ms`
    (or `start_ms` and `end_ms`), optionally `device` and `parts` (the
    runtime's `--profile` file is one). A profile that does not fit (a
    chunk or device the problem lacks, a chunk on another device, a block
    kind of the other backward form) is an error naming its line or event.

    The pipeline's schedules and their plans were made for the old costs
    and are removed: reschedule after it.

    ```
    crosspipe-opt --crosspipe-import-profile="file=measured.json" \
        --crosspipe-schedule in.mlir
    ```
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "the profile: a measured Chrome trace or a CSV">,
    Option<"pipelineName", "pipeline", "std::string", /*default=*/"\"\"",
           "the pipeline to fit (default: the only one)">
  ];
}

def DpOverlapPass : Pass<"crosspipe-dp-overlap", "mlir::ModuleOp"> {
  let summary = "Place data-parallel collectives where they may first start";
  let description = [{
    For every `crosspipe.schedule` of a pipeline with data parallelism,
    replaces its `crosspipe.collective` ops by the collectives the
    performance model runs, each at the earliest point it may start, and
    annotates the schedule with the simulated timeline (as
    `--crosspipe-simulate` does):

    - without options, one all-reduce per chunk, right after the chunk's
      last W (or B) in its device's program;
    - `buckets=n` splits each chunk's gradient into n buckets of its layers,
      last layer first: bucket i goes right after the block that completes
      its share, so it starts once the last microbatch's W has done
      (i + 1) / n of its work while that W still runs on earlier layers,
      and never before every microbatch's gradient for it is accumulated;
    - `zero1` reduce-scatters the gradient instead and all-gathers each
      chunk's parameters at the start of its device's program, before the
      chunk's first F; the makespan then includes the all-gathers.

    Collectives run one at a time on each device's communication stream in
    the order they become ready. Pipelines without data parallelism are
    left unchanged.

    ```
    crosspipe-opt --crosspipe-dp-overlap="buckets=4 zero1" in.mlir
    ```
  }];
  let options = [
    Option<"buckets", "buckets", "int", /*default=*/"1",
           "gradient buckets per chunk (>= 1)">,
    Option<"zero1", "zero1", "bool", /*default=*/"false",
           "ZeRO-1: reduce-scatter gradients and all-gather parameters">
  ];
  let dependentDialects = ["::crosspipe::CrossPipeDialect"];
}

def ExecutionPlanPass : Pass<"crosspipe-execution-plan", "mlir::ModuleOp"> {
  let summary = "Turn schedules into execution plans: streams, events, buffers";
  let description = [{
    For every `crosspipe.schedule` (or only the one named by `schedule`),
    simulates it and inserts a `crosspipe.plan` named `<schedule>_plan`
    right after it (replacing an existing one). The plan gives each device a
    compute stream, send and receive streams towards the next and the
    previous chunk, and a `dp` stream:

    - every cross-device dependency becomes a send on the producer's device,
      enqueued after its block, and a receive on the consumer's device,
      issued together with its send (at the send's simulated time, once its
      buffer slot is free) and waited for only by the consuming block;
      receives on a channel follow the order of its sends, and every device
      issues its NCCL operations in the order of one global sequence, which
      NCCL needs to make progress across communicators;
    - buffers are sized from the simulated timeline: each chunk's stash,
      send and receive buffers get as many slots as the schedule keeps
      microbatches in flight, and each microbatch a slot, so a step never
      allocates; a slot is reused only after an event proves its last
      reader done;
    - all ops are emitted in one global order sorted by simulated time in
      which every event is recorded before it is waited on and every
      receive precedes its send.

    With data parallelism each chunk's gradient is all-reduced on the `dp`
    stream after its last W (or B). Run `--crosspipe-verify-plan` after
    it.
  }];
  let options = [
    Option<"scheduleName", "schedule", "std::string", /*default=*/"\"\"",
           "plan only the schedule of this name (default: every schedule)">
  ];
}

def VerifyPlanPass : Pass<"crosspipe-verify-plan", "mlir::ModuleOp"> {
  let summary = "Prove execution plans deadlock-free and race-free";
  let description = [{
    Checks every `crosspipe.plan` against its schedule: each compute stream
    runs exactly its device's program; every cross-device dependency is one
    send and one receive, posted receive first, matched in order on its
    channel (one NCCL communicator per direction, kind and device pair,
    driven from one stream on each side); every block waits for the inputs
    it reads and every sender for the block it sends; no buffer slot is
    written while an earlier access may still be in flight (happens-before
    over stream order and events); and an abstract run of the streams in
    which each send blocks until its receive heads its stream terminates,
    which proves the NCCL program deadlock-free; and the devices issue
    their NCCL operations (sends, receives, collectives) in orders that one
    global order agrees with (NCCL guarantees progress across communicators
    only then; with `NCCL_LAUNCH_ORDER_IMPLICIT` the GPU starts them in
    host order). Violations are errors at the offending op with a note at
    the related one; for a deadlock, a note per stuck stream says what it
    waits for, and for an inconsistent order a note per device of the cycle.
  }];
}

#endif // CROSSPIPE_PASSES
