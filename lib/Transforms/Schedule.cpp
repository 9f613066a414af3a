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
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Transforms/Passes.h"
#if CROSSPIPE_ENABLE_SOLVER
#include "crosspipe/Solver/OptimalSolver.h"
#endif

#include "mlir/IR/SymbolTable.h"

#include <cmath>

namespace crosspipe {
#define GEN_PASS_DEF_SCHEDULEPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
/// A schedule, and what the optimal solver proved about it.
struct Scheduled {
  sched::Schedule schedule;
  struct Proof {
    double makespanMs, lowerBoundMs, gap;
    bool optimal;
    /// The model's time unit (0: no model was built) and whether its
    /// optimum was proven.
    double resolutionMs;
    bool optimalWithinResolution;
  };
  std::optional<Proof> proof;
};

struct SchedulePass
    : ReportsOptionErrors<crosspipe::impl::SchedulePassBase<SchedulePass>> {
  using ReportsOptionErrors::ReportsOptionErrors;

  void runOnOperation() override;
  LogicalResult checkOptions();
  LogicalResult overrideMemory(PipelineOp pipeline, sched::Problem &problem);
  FailureOr<Scheduled> run(PipelineOp pipeline, const sched::Problem &problem);
  FailureOr<Scheduled> solve(PipelineOp pipeline,
                             const sched::Problem &problem);
  FailureOr<Scheduled> baseline(PipelineOp pipeline,
                                const sched::Problem &problem);
};
} // namespace

/// Bounds of the numeric options: beyond them the tools could not represent
/// the result (a budget in bytes), or would exhaust the machine (threads,
/// sub-blocks) instead of reporting an error.
static constexpr int kMaxThreads = 1024;
static constexpr int kMaxSubBlocks = 1024;
static constexpr int64_t kMaxTimeLimitSeconds = 1000000;
static constexpr int64_t kMaxMemoryRelative = 1000000;
static constexpr int64_t kMaxMemoryLimitMiB = int64_t(1) << 40; // 1 EiB
static constexpr int64_t kMaxTimeResolutionMs = 1000000;

LogicalResult SchedulePass::checkOptions() {
  ModuleOp module = getOperation();
  Location loc = module.getLoc();
  if (algorithm == ScheduleAlgorithm::Optimal && subBlocks != 1) {
    return emitError(loc, "sub-blocks applies to the greedy; the "
                          "optimal solver schedules whole blocks");
  }
  if (!(timeLimit > 0) || threads < 1) {
    return emitError(loc, "time-limit must be positive and "
                          "threads at least 1, got ")
           << double(timeLimit) << " s and " << int(threads);
  }
  if (!(timeLimit <= double(kMaxTimeLimitSeconds)))
    return emitError(loc, "time-limit must be at most ")
           << kMaxTimeLimitSeconds << " s, got " << double(timeLimit);
  if (threads > kMaxThreads)
    return emitError(loc, "threads must be at most ")
           << kMaxThreads << ", got " << int(threads);
  if (!std::isfinite(timeResolution) || timeResolution < 0 ||
      timeResolution > double(kMaxTimeResolutionMs))
    return emitError(loc, "time-resolution must be a number of ms from 0 "
                          "(automatic) to ")
           << kMaxTimeResolutionMs << ", got " << formatNumber(timeResolution);
  if (timeResolution != 0 && algorithm != ScheduleAlgorithm::Optimal)
    return emitError(loc, "time-resolution applies to the optimal solver");
  if (subBlocks < 1) {
    return emitError(loc, "sub-blocks must be at least 1, got ")
           << int(subBlocks);
  }
  if (subBlocks > kMaxSubBlocks)
    return emitError(loc, "sub-blocks must be at most ")
           << kMaxSubBlocks << ", got " << int(subBlocks);
  for (auto [value, name] :
       {std::make_pair(double(memoryRelative), "memory-relative"),
        std::make_pair(double(memoryRelativePeak), "memory-relative-peak")})
    if (!std::isfinite(value) || value > double(kMaxMemoryRelative))
      return emitError(loc, name) << " must be a finite factor of at most "
                                  << kMaxMemoryRelative << ", got " << value;
  if (!std::isfinite(memoryLimitMiB) ||
      memoryLimitMiB > double(kMaxMemoryLimitMiB))
    return emitError(loc, "memory-limit-mib must be a finite number of at "
                          "most ")
           << kMaxMemoryLimitMiB << " MiB, got " << double(memoryLimitMiB);
  int overrides = (memoryRelative != 0) + (memoryRelativePeak != 0) +
                  (memoryLimitMiB != 0) + int(memoryUnlimited);
  if (overrides > 1 || memoryRelative < 0 || memoryRelativePeak < 0 ||
      memoryLimitMiB < 0) {
    return emitError(loc, "give at most one of memory-relative, "
                          "memory-relative-peak, memory-limit-mib and "
                          "memory-unlimited, with a positive value");
  }
  return success();
}

void SchedulePass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(checkOptions()))
    return signalPassFailure();
  SmallVector<PipelineOp> pipelines =
      llvm::to_vector(module.getOps<PipelineOp>());
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
    FailureOr<Scheduled> scheduled = run(pipeline, *problem);
    if (failed(scheduled))
      return signalPassFailure();
    std::string name = scheduleName;
    if (name.empty()) {
      name =
          (pipeline.getSymName() + "_" + stringifyScheduleAlgorithm(algorithm))
              .str();
      std::replace(name.begin(), name.end(), '-', '_');
    }
    if (Operation *old = SymbolTable::lookupSymbolIn(module, name)) {
      // Only an earlier schedule is replaced; any other symbol of that name
      // (the pipeline, the cluster) is the user's and stays.
      if (!isa<ScheduleOp>(old)) {
        InFlightDiagnostic diag =
            emitError(module.getLoc(), "cannot name the schedule '")
            << name << "': a " << old->getName() << " already has that name";
        diag.attachNote(old->getLoc()) << "the other symbol";
        return signalPassFailure();
      }
      old->erase();
    }
    ScheduleOp op = emitSchedule(pipeline, scheduled->schedule, name);
    if (const auto &proof = scheduled->proof) {
      MLIRContext *ctx = op.getContext();
      op.setMakespanAttr(TimeAttr::get(ctx, proof->makespanMs));
      op.setLowerBoundAttr(TimeAttr::get(ctx, proof->lowerBoundMs));
      op.setOptimalAttr(BoolAttr::get(ctx, proof->optimal));
      op.setGapAttr(FloatAttr::get(Float64Type::get(ctx), proof->gap));
      if (proof->resolutionMs > 0) {
        op.setResolutionAttr(TimeAttr::get(ctx, proof->resolutionMs));
        op.setOptimalWithinResolutionAttr(
            BoolAttr::get(ctx, proof->optimalWithinResolution));
      }
    }
  }
}

LogicalResult SchedulePass::overrideMemory(PipelineOp pipeline,
                                           sched::Problem &problem) {
  if (memoryRelative == 0 && memoryRelativePeak == 0 && memoryLimitMiB == 0 &&
      !memoryUnlimited)
    return success();
  problem.memoryRelativeTo1F1B.reset();
  problem.memoryRelativeTo1F1BPeak.reset();
  problem.staticMemory.clear();
  problem.memoryLimitBytes.clear();
  if (memoryRelative > 0) {
    problem.memoryLimitBytes = problem.limitsRelativeTo1F1B(memoryRelative);
    problem.memoryRelativeTo1F1B = double(memoryRelative);
  } else if (memoryRelativePeak > 0) {
    problem.memoryLimitBytes =
        problem.limitsRelativeTo1F1BPeak(memoryRelativePeak);
    problem.memoryRelativeTo1F1BPeak = double(memoryRelativePeak);
  } else if (memoryLimitMiB > 0) {
    problem.memoryLimitBytes.assign(
        problem.numDevices(), uint64_t(memoryLimitMiB * double(sched::kMiB)));
  }
  for (int d = 0, e = int(problem.memoryLimitBytes.size()); d < e; ++d) {
    uint64_t need = sched::oneMicrobatchBytes(problem, d);
    if (need > problem.memoryLimitBytes[d])
      return pipeline.emitOpError("memory budget override leaves device ")
             << d << " " << byteSizeText(problem.memoryLimitBytes[d])
             << ", less than the " << byteSizeText(need)
             << " one microbatch needs";
  }
  // Write the budget back so later passes check against the same one.
  writeMemoryBudget(pipeline, problem);
  return success();
}

FailureOr<Scheduled> SchedulePass::solve(PipelineOp pipeline,
                                         const sched::Problem &problem) {
#if CROSSPIPE_ENABLE_SOLVER
  sched::SolverOptions options;
  options.timeLimitSeconds = timeLimit;
  options.threads = threads;
  options.timeResolutionMs = timeResolution;
  sched::SolverResult result = sched::solveOptimal(problem, options);
  if (!result.ok)
    return pipeline.emitOpError("cannot be scheduled by the optimal solver: ")
           << result.error;
  result.schedule.algorithm = "optimal";
  return Scheduled{result.schedule,
                   Scheduled::Proof{result.makespanMs, result.lowerBoundMs,
                                    result.gap, result.optimal,
                                    result.resolutionMs,
                                    result.optimalWithinResolution}};
#else
  return pipeline.emitOpError("cannot be scheduled by the optimal solver: "
                              "this build has no solver (configured with "
                              "CROSSPIPE_ENABLE_SOLVER=OFF)");
#endif
}

FailureOr<Scheduled> SchedulePass::run(PipelineOp pipeline,
                                       const sched::Problem &problem) {
  if (algorithm == ScheduleAlgorithm::Optimal)
    return solve(pipeline, problem);
  if (algorithm != ScheduleAlgorithm::Greedy)
    return baseline(pipeline, problem);
  sched::GreedyOptions options;
  options.subBlocks = subBlocks;
  sched::GreedyResult result = sched::scheduleGreedy(problem, options);
  if (!result.ok)
    return pipeline.emitOpError("cannot be scheduled by the greedy: ")
           << result.error;
  result.schedule.algorithm = "greedy";
  return Scheduled{result.schedule, std::nullopt};
}

FailureOr<Scheduled> SchedulePass::baseline(PipelineOp pipeline,
                                            const sched::Problem &problem) {
  StringRef name = stringifyScheduleAlgorithm(algorithm);
  sched::BaselineKind kind = *sched::parseBaselineName(name.str());
  sched::BaselineResult result = sched::buildBaseline(problem, kind);
  if (!result.ok)
    return pipeline.emitOpError("cannot be scheduled by ")
           << name << ": " << result.error;
  sched::SimResult sim = sched::simulate(problem, result.schedule);
  if (!sim.ok)
    return pipeline.emitOpError("gets an invalid ")
           << name << " schedule: " << sim.error;
  for (int d = 0, e = problem.numDevices(); d < e; ++d) {
    uint64_t limit = problem.memoryLimit(d);
    if (sim.peakMemoryBytes[d] <= limit)
      continue;
    return pipeline.emitOpError("cannot be scheduled by ")
           << name << ": it needs " << byteSizeText(sim.peakMemoryBytes[d])
           << " of activations on device " << d << ", above its budget of "
           << byteSizeText(limit)
           << " (use the greedy, or raise the budget with memory-relative)";
  }
  result.schedule.algorithm = name.str();
  return Scheduled{result.schedule, std::nullopt};
}
