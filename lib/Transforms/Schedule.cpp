//===- Schedule.cpp - Compute a schedule for every pipeline ---------------===//
//
// A thin adapter over the scheduling library: applies the memory-budget
// override, runs the requested algorithm, checks that a static schedule fits
// the budget (static schedules cannot adapt to it, so exceeding it is an
// error, not a fallback), and writes the per-device programs into the IR.
// The optimal solver's schedule also carries its makespan, proven lower
// bound, gap and whether it is proven optimal.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Solver/OptimalSolver.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace crosspipe {
#define GEN_PASS_DEF_SCHEDULE
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

static std::string bytesText(uint64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printByteSize(os, bytes);
  return text;
}

namespace {
struct SchedulePass : crosspipe::impl::ScheduleBase<SchedulePass> {
  using Base::Base;

  void runOnOperation() override;
  LogicalResult overrideMemory(PipelineOp pipeline, sched::Problem &problem);
  FailureOr<sched::Schedule> run(PipelineOp pipeline,
                                 const sched::Problem &problem);
  FailureOr<sched::Schedule> solve(PipelineOp pipeline,
                                   const sched::Problem &problem);

  /// What the optimal solver proved about the last schedule it returned.
  struct Proof {
    double makespanMs, lowerBoundMs, gap;
    bool optimal;
  };
  std::optional<Proof> proof;
};
} // namespace

void SchedulePass::runOnOperation() {
  ModuleOp module = getOperation();
  bool known = algorithm == "greedy" || algorithm == "optimal" ||
               sched::parseBaselineName(algorithm).has_value();
  if (!known) {
    emitError(module.getLoc(), "unknown scheduling algorithm '")
        << algorithm
        << "'; expected gpipe, 1f1b, interleaved, zb-h1, zb-v, greedy or "
           "optimal";
    return signalPassFailure();
  }
  if (algorithm == "optimal" && subBlocks != 1) {
    emitError(module.getLoc(), "sub-blocks applies to the greedy; the optimal "
                               "solver schedules whole blocks");
    return signalPassFailure();
  }
  if (!(timeLimit > 0) || threads < 1) {
    emitError(module.getLoc(), "time-limit must be positive and threads at "
                               "least 1, got ")
        << double(timeLimit) << " s and " << int(threads);
    return signalPassFailure();
  }
  if (subBlocks < 1) {
    emitError(module.getLoc(), "sub-blocks must be at least 1, got ")
        << int(subBlocks);
    return signalPassFailure();
  }
  int overrides = (memoryRelative != 0) + (memoryLimitMiB != 0) +
                  int(memoryUnlimited);
  if (overrides > 1 || memoryRelative < 0 || memoryLimitMiB < 0) {
    emitError(module.getLoc(),
              "give at most one of memory-relative, memory-limit-mib and "
              "memory-unlimited, with a positive value");
    return signalPassFailure();
  }
  SmallVector<PipelineOp> pipelines = llvm::to_vector(module.getOps<PipelineOp>());
  if (!scheduleName.empty() && pipelines.size() > 1) {
    emitError(module.getLoc(), "name='")
        << scheduleName << "' is ambiguous with " << pipelines.size()
        << " pipelines in the module";
    return signalPassFailure();
  }
  for (PipelineOp pipeline : pipelines) {
    FailureOr<sched::Problem> problem = buildProblem(pipeline);
    if (failed(problem) || failed(overrideMemory(pipeline, *problem)))
      return signalPassFailure();
    FailureOr<sched::Schedule> schedule = run(pipeline, *problem);
    if (failed(schedule))
      return signalPassFailure();
    std::string name = scheduleName;
    if (name.empty()) {
      name = (pipeline.getSymName() + "_" + algorithm).str();
      std::replace(name.begin(), name.end(), '-', '_');
    }
    if (Operation *old = SymbolTable::lookupSymbolIn(module, name))
      old->erase();
    ScheduleOp op = emitSchedule(pipeline, *schedule, name);
    if (proof) {
      MLIRContext *ctx = op.getContext();
      op.setMakespanAttr(TimeAttr::get(ctx, proof->makespanMs));
      op.setLowerBoundAttr(TimeAttr::get(ctx, proof->lowerBoundMs));
      op.setOptimalAttr(BoolAttr::get(ctx, proof->optimal));
      op.setGapAttr(FloatAttr::get(Float64Type::get(ctx), proof->gap));
      proof.reset();
    }
  }
}

LogicalResult SchedulePass::overrideMemory(PipelineOp pipeline,
                                           sched::Problem &problem) {
  if (memoryRelative == 0 && memoryLimitMiB == 0 && !memoryUnlimited)
    return success();
  MLIRContext *ctx = pipeline.getContext();
  problem.memoryRelativeTo1F1B.reset();
  problem.memoryLimitBytes.clear();
  if (memoryRelative > 0) {
    problem.memoryLimitBytes = problem.limitsRelativeTo1F1B(memoryRelative);
    problem.memoryRelativeTo1F1B = double(memoryRelative);
  } else if (memoryLimitMiB > 0) {
    problem.memoryLimitBytes.assign(
        problem.numDevices(), uint64_t(memoryLimitMiB * double(sched::kMiB)));
  }
  for (int d = 0, e = int(problem.memoryLimitBytes.size()); d < e; ++d) {
    uint64_t need = 0;
    for (int c : problem.chunksOnDevice(d))
      need += problem.chunks[c].activationBytes;
    if (need > problem.memoryLimitBytes[d])
      return pipeline.emitOpError("memory budget override leaves device ")
             << d << " " << bytesText(problem.memoryLimitBytes[d])
             << ", less than the " << bytesText(need)
             << " one microbatch needs";
  }
  // Write the budget back so later passes check against the same one.
  if (problem.memoryLimitBytes.empty()) {
    pipeline.removeMemoryLimitsAttr();
  } else {
    SmallVector<Attribute> limits;
    for (uint64_t limit : problem.memoryLimitBytes)
      limits.push_back(BytesAttr::get(ctx, limit));
    pipeline.setMemoryLimitsAttr(ArrayAttr::get(ctx, limits));
  }
  if (problem.memoryRelativeTo1F1B)
    pipeline.setMemoryRelativeAttr(
        FloatAttr::get(Float64Type::get(ctx), *problem.memoryRelativeTo1F1B));
  else
    pipeline.removeMemoryRelativeAttr();
  return success();
}

FailureOr<sched::Schedule> SchedulePass::solve(PipelineOp pipeline,
                                               const sched::Problem &problem) {
  sched::SolverOptions options;
  options.timeLimitSeconds = timeLimit;
  options.threads = threads;
  sched::SolverResult result = sched::solveOptimal(problem, options);
  if (!result.ok)
    return pipeline.emitOpError("cannot be scheduled by the optimal solver: ")
           << result.error;
  proof = Proof{result.makespanMs, result.lowerBoundMs, result.gap,
                result.optimal};
  result.schedule.algorithm = "optimal";
  return result.schedule;
}

FailureOr<sched::Schedule> SchedulePass::run(PipelineOp pipeline,
                                             const sched::Problem &problem) {
  if (algorithm == "optimal")
    return solve(pipeline, problem);
  if (algorithm == "greedy") {
    sched::GreedyOptions options;
    options.subBlocks = subBlocks;
    sched::GreedyResult result = sched::scheduleGreedy(problem, options);
    if (!result.ok)
      return pipeline.emitOpError("cannot be scheduled by the greedy: ")
             << result.error;
    result.schedule.algorithm = "greedy";
    return result.schedule;
  }
  sched::BaselineKind kind = *sched::parseBaselineName(algorithm);
  sched::BaselineResult result = sched::buildBaseline(problem, kind);
  if (!result.ok)
    return pipeline.emitOpError("cannot be scheduled by ")
           << algorithm << ": " << result.error;
  sched::SimResult sim = sched::simulate(problem, result.schedule);
  if (!sim.ok)
    return pipeline.emitOpError("gets an invalid ")
           << algorithm << " schedule: " << sim.error;
  for (int d = 0, e = problem.numDevices(); d < e; ++d) {
    uint64_t limit = problem.memoryLimit(d);
    if (sim.peakMemoryBytes[d] <= limit)
      continue;
    return pipeline.emitOpError("cannot be scheduled by ")
           << algorithm << ": it needs " << bytesText(sim.peakMemoryBytes[d])
           << " of activations on device " << d << ", above its budget of "
           << bytesText(limit)
           << " (use the greedy, or raise the budget with memory-relative)";
  }
  result.schedule.algorithm = algorithm;
  return result.schedule;
}
