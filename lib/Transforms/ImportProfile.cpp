//===- ImportProfile.cpp - The --crosspipe-import-profile pass ------------===//
//
// Measured times back into the model: reads a profile (a measured Chrome
// trace or a CSV; crosspipe/Format/Profile.h), fits the pipeline's stage
// times and link bandwidths to it, reports each figure against the model's
// as a remark at its op, and drops the pipeline's schedules and plans,
// which were made for the old costs (reschedule after it).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Format/Profile.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace crosspipe {
#define GEN_PASS_DEF_IMPORTPROFILEPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {

/// "12 ms (model 10 ms, +20.0%; 8 samples, 1 outlier dropped)".
std::string describe(const sched::ProfileFigure &f) {
  char change[32] = "";
  if (f.modelValue > 0)
    std::snprintf(change, sizeof change, ", %+.1f%%",
                  100 * (f.measuredValue - f.modelValue) / f.modelValue);
  std::string text = f.what + ": measured " + formatNumber(f.measuredValue) +
                     " " + f.unit + " (model " + formatNumber(f.modelValue) +
                     " " + f.unit + change + "; " + std::to_string(f.samples) +
                     " samples";
  if (f.dropped)
    text += ", " + std::to_string(f.dropped) + " outliers dropped";
  return text + ")";
}

struct ImportProfilePass
    : ReportsOptionErrors<
          crosspipe::impl::ImportProfilePassBase<ImportProfilePass>> {
  using ReportsOptionErrors::ReportsOptionErrors;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    PipelineOp pipeline = findPipeline(module);
    if (!pipeline || failed(importInto(module, pipeline)))
      return signalPassFailure();
  }

  PipelineOp findPipeline(ModuleOp module) {
    SmallVector<PipelineOp> all;
    for (PipelineOp p : module.getOps<PipelineOp>())
      if (pipelineName.empty() || p.getSymName() == pipelineName)
        all.push_back(p);
    if (all.size() == 1)
      return all.front();
    if (all.empty())
      emitError(module.getLoc(), "--crosspipe-import-profile: ")
          << (pipelineName.empty()
                  ? std::string("no crosspipe.pipeline to fit")
                  : "no crosspipe.pipeline named '" + pipelineName + "'");
    else
      emitError(module.getLoc(), "--crosspipe-import-profile: ")
          << all.size() << " pipelines; name one with pipeline=NAME";
    return {};
  }

  LogicalResult importInto(ModuleOp module, PipelineOp pipeline) {
    if (file.empty())
      return emitError(module.getLoc(),
                       "--crosspipe-import-profile needs file=PATH");
    std::string error;
    std::unique_ptr<llvm::MemoryBuffer> buffer = openInputFile(file, &error);
    if (!buffer)
      return emitError(module.getLoc(), "cannot read the profile '")
             << file << "': " << error;
    FailureOr<sched::Problem> problem = buildProblem(pipeline);
    if (failed(problem))
      return failure();
    StringRef text = buffer->getBuffer();
    sched::ProfileFit fit =
        sched::fitProfile(*problem, std::string_view(text.data(), text.size()));
    if (!fit.ok)
      return pipeline.emitOpError("does not fit the profile '")
             << file << "': " << fit.error;
    writeFit(pipeline, *problem, fit);
    for (const std::string &note : fit.notes)
      pipeline.emitRemark() << "profile '" << file << "': " << note;
    dropStaleSchedules(module, pipeline);
    return success();
  }

  void writeFit(PipelineOp pipeline, const sched::Problem &problem,
                const sched::ProfileFit &fit) {
    MLIRContext *ctx = pipeline.getContext();
    SmallVector<StageOp, 8> stages = pipeline.getStages();
    auto cluster = SymbolTable::lookupNearestSymbolFrom<ClusterOp>(
        pipeline, pipeline.getClusterAttr());
    for (const sched::ProfileFigure &f : fit.figures) {
      if (f.chunk >= 0) {
        StageOp stage = stages[f.chunk];
        const sched::Chunk &c = problem.chunks[f.chunk];
        stage.setForwardAttr(TimeAttr::get(ctx, c.forwardMs));
        if (problem.splitBackward) {
          stage.setDgradAttr(TimeAttr::get(ctx, c.dgradMs));
          stage.setWgradAttr(TimeAttr::get(ctx, c.wgradMs));
        } else {
          stage.setBackwardAttr(TimeAttr::get(ctx, c.backwardMs));
        }
        stage.emitRemark() << describe(f);
        continue;
      }
      StringRef from = problem.datacenters[f.fromDc].name;
      StringRef to = problem.datacenters[f.toDc].name;
      for (LinkOp link : cluster.getBody().getOps<LinkOp>())
        if (link.getFrom() == from && link.getTo() == to) {
          if (f.latency)
            link.setLatencyAttr(TimeAttr::get(ctx, f.measuredValue));
          else
            link.setBandwidthAttr(BandwidthAttr::get(ctx, f.measuredValue));
          link.emitRemark() << describe(f);
        }
    }
  }

  /// Schedules of the pipeline (and plans of those) were made for the old
  /// costs.
  void dropStaleSchedules(ModuleOp module, PipelineOp pipeline) {
    SmallVector<Operation *> stale;
    llvm::StringSet<> schedules;
    for (ScheduleOp s : module.getOps<ScheduleOp>())
      if (s.getPipeline() == pipeline.getSymName()) {
        schedules.insert(s.getSymName());
        stale.push_back(s);
      }
    for (PlanOp p : module.getOps<PlanOp>())
      if (schedules.contains(p.getSchedule()))
        stale.push_back(p);
    for (Operation *op : stale)
      op->erase();
  }
};
} // namespace
