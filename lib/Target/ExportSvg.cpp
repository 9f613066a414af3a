//===- ExportSvg.cpp - Schedules drawn as SVG timelines -------------------===//
//
// `crosspipe-translate --export-svg`: simulates the module's schedules and
// draws one as an SVG timeline (crosspipe/Format/SvgTimeline.h), from the
// same events --export-chrome-trace writes, so the picture and the trace
// agree. By default the fastest schedule is drawn; `--svg-schedule=NAME`
// picks another and `--svg-all` stacks every schedule, fastest first, on one
// time scale so that they can be compared by eye.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Target/Translations.h"

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
    return emitError(root->getLoc(),
                     "give either --svg-schedule or --svg-all, not both");
  FailureOr<std::vector<SimulatedSchedule>> all =
      simulateSchedules(root, svgSchedule, "draw");
  if (failed(all))
    return failure();
  std::vector<Drawn> drawn;
  for (const SimulatedSchedule &s : *all) {
    sched::Timeline timeline = sched::timelineFromSimulation(
        s.problem, s.read.schedule, s.result, summarize(s));
    // Schedules of one pipeline differ by name, not by problem.
    ScheduleOp op = s.op;
    timeline.title = s.problem.name + ": " + op.getSymName().str() + " (" +
                     op.getAlgorithm().str() + ")";
    drawn.push_back({s.result.makespanMs, std::move(timeline)});
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
      "export-svg", "draw the simulated schedule as an SVG timeline", exportSvg,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
