//===- ExportSvg.cpp - Schedules drawn as SVG timelines -------------------===//
//
// `crosspipe-translate --export-svg`: simulates the module's schedules and
// draws one as an SVG timeline (crosspipe/Schedule/SvgTimeline.h), from the
// same events --export-chrome-trace writes, so the picture and the trace
// agree. By default the fastest schedule is drawn; `--svg-schedule=NAME`
// picks another and `--svg-all` stacks every schedule, fastest first, on one
// time scale so that they can be compared by eye.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/SvgTimeline.h"
#include "crosspipe/Target/Translations.h"
#include "crosspipe/Transforms/ScheduleDiagnostics.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

#include <algorithm>

using namespace mlir;
using namespace crosspipe;

static llvm::cl::opt<std::string>
    svgSchedule("svg-schedule",
                llvm::cl::desc("--export-svg: name of the schedule to draw "
                               "(default: the fastest)"),
                llvm::cl::init(""));
static llvm::cl::opt<bool>
    svgAll("svg-all",
           llvm::cl::desc("--export-svg: draw every schedule, fastest first"),
           llvm::cl::init(false));

namespace {
struct Drawn {
  double makespanMs;
  sched::Timeline timeline;
};
} // namespace

static LogicalResult exportSvg(Operation *root, raw_ostream &os) {
  if (svgAll && !svgSchedule.empty())
    return root->emitError("give either --svg-schedule or --svg-all, not both");
  std::vector<Drawn> drawn;
  WalkResult walk = root->walk([&](ScheduleOp op) {
    if (!svgSchedule.empty() && op.getSymName() != svgSchedule)
      return WalkResult::advance();
    PipelineOp pipeline = getSchedulePipeline(op);
    if (!pipeline) {
      op.emitOpError("does not reference a pipeline");
      return WalkResult::interrupt();
    }
    FailureOr<sched::Problem> problem = buildProblem(pipeline);
    if (failed(problem))
      return WalkResult::interrupt();
    FailureOr<ScheduleFromIR> read = readSchedule(op, *problem);
    if (failed(read))
      return WalkResult::interrupt();
    sched::SimResult result = sched::simulate(*problem, read->schedule);
    if (!result.ok) {
      (void)reportSimulationFailure(op, *read, result);
      return WalkResult::interrupt();
    }
    sched::TraceSummary summary;
    summary.algorithm = op.getAlgorithm().str();
    summary.makespanMs = result.makespanMs;
    // The solver's proven bound, when present, can beat the analytic one.
    summary.lowerBoundMs = sched::computeLowerBound(*problem).makespanMs;
    if (auto bound = op.getLowerBoundAttr())
      summary.lowerBoundMs = std::max(summary.lowerBoundMs, bound.getMs());
    sched::Timeline timeline = sched::timelineFromSimulation(
        *problem, read->schedule, result, summary);
    // Schedules of one pipeline differ by name, not by problem.
    timeline.title = problem->name + ": " + op.getSymName().str() + " (" +
                     summary.algorithm + ")";
    drawn.push_back({result.makespanMs, std::move(timeline)});
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (drawn.empty()) {
    if (svgSchedule.empty())
      return root->emitError("no crosspipe.schedule to draw; run "
                             "--crosspipe-schedule first");
    return root->emitError("no crosspipe.schedule named '")
           << svgSchedule << "'";
  }
  std::stable_sort(drawn.begin(), drawn.end(),
                   [](const Drawn &a, const Drawn &b) {
                     return a.makespanMs < b.makespanMs;
                   });
  std::vector<sched::Timeline> timelines;
  for (Drawn &d : drawn) {
    timelines.push_back(std::move(d.timeline));
    if (!svgAll)
      break;
  }
  os << sched::renderSvgTimeline(timelines);
  return success();
}

void crosspipe::registerExportSvgTranslation() {
  TranslateFromMLIRRegistration registration(
      "export-svg", "draw the simulated schedule as an SVG timeline",
      exportSvg,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
