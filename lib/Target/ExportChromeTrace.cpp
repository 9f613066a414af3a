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

#include "crosspipe/Format/ChromeTrace.h"
#include "crosspipe/Target/Translations.h"
#include "crosspipe/Interop/SimulatedSchedule.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;
using namespace crosspipe;

static llvm::cl::opt<std::string>
    traceSchedule("trace-schedule",
                  llvm::cl::desc("--export-chrome-trace: name of the schedule "
                                 "to export (default: the fastest)"),
                  llvm::cl::init(""));

static LogicalResult exportChromeTrace(Operation *root, raw_ostream &os) {
  FailureOr<std::vector<SimulatedSchedule>> all =
      simulateSchedules(root, traceSchedule, "export");
  if (failed(all))
    return failure();
  const SimulatedSchedule &best = fastest(*all);
  os << sched::writeChromeTrace(best.problem, best.read.schedule, best.result,
                                summarize(best));
  return success();
}

void crosspipe::registerExportChromeTraceTranslation() {
  TranslateFromMLIRRegistration registration(
      "export-chrome-trace", "write the simulated schedule as a Chrome trace",
      exportChromeTrace,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
