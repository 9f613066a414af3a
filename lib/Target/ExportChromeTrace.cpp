//===- ExportChromeTrace.cpp - Schedules to Chrome trace JSON -------------===//
//
// `crosspipe-translate --export-chrome-trace`: simulates a schedule of the
// module and writes its timeline as a Chrome trace. The timeline is always
// recomputed from the schedule's block order, so the trace agrees with the
// performance model even for IR whose annotations were edited by hand. With
// several schedules, the one with the smallest simulated makespan is
// exported (the best one); `--trace-schedule=NAME` picks another.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Schedule/ChromeTrace.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Target/Translations.h"
#include "crosspipe/Transforms/ScheduleDiagnostics.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;
using namespace crosspipe;

static llvm::cl::opt<std::string>
    traceSchedule("trace-schedule",
                  llvm::cl::desc("--export-chrome-trace: name of the schedule "
                                 "to export (default: the fastest)"),
                  llvm::cl::init(""));

namespace {
struct Simulated {
  ScheduleOp op;
  sched::Problem problem;
  sched::Schedule schedule;
  sched::SimResult result;
};
} // namespace

static LogicalResult exportChromeTrace(Operation *root, raw_ostream &os) {
  std::optional<Simulated> best;
  bool found = false;
  WalkResult walk = root->walk([&](ScheduleOp op) {
    if (!traceSchedule.empty() && op.getSymName() != traceSchedule)
      return WalkResult::advance();
    found = true;
    PipelineOp pipeline = getSchedulePipeline(op);
    if (!pipeline) {
      op.emitOpError("does not reference a pipeline");
      return WalkResult::interrupt();
    }
    FailureOr<sched::Problem> problem = buildProblem(pipeline);
    if (failed(problem))
      return WalkResult::interrupt();
    applyDpCollectives(op, *problem);
    FailureOr<ScheduleFromIR> read = readSchedule(op, *problem);
    if (failed(read))
      return WalkResult::interrupt();
    sched::SimResult result = sched::simulate(*problem, read->schedule);
    if (!result.ok) {
      (void)reportSimulationFailure(op, *read, result);
      return WalkResult::interrupt();
    }
    if (!best || result.makespanMs < best->result.makespanMs)
      best = Simulated{op, std::move(*problem), std::move(read->schedule),
                       std::move(result)};
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!found) {
    if (traceSchedule.empty())
      return root->emitError("no crosspipe.schedule to export; run "
                             "--crosspipe-schedule first");
    return root->emitError("no crosspipe.schedule named '")
           << traceSchedule << "'";
  }
  sched::TraceSummary summary;
  summary.algorithm = best->op.getAlgorithm().str();
  summary.makespanMs = best->result.makespanMs;
  // The solver's proven bound, when present, can beat the analytic one.
  summary.lowerBoundMs = sched::computeLowerBound(best->problem).makespanMs;
  if (auto bound = best->op.getLowerBoundAttr())
    summary.lowerBoundMs = std::max(summary.lowerBoundMs, bound.getMs());
  if (auto optimal = best->op.getOptimalAttr())
    summary.optimal = optimal.getValue();
  if (auto gap = best->op.getGapAttr())
    summary.gap = gap.getValueAsDouble();
  os << sched::writeChromeTrace(best->problem, best->schedule, best->result,
                                summary);
  return success();
}

void crosspipe::registerExportChromeTraceTranslation() {
  TranslateFromMLIRRegistration registration(
      "export-chrome-trace", "write the simulated schedule as a Chrome trace",
      exportChromeTrace,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
