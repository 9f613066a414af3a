//===- ScheduleReport.cpp - A table comparing a module's schedules --------===//
//
// `crosspipe-translate --schedule-report`: simulates every schedule in the
// module and prints one Markdown row each (makespan, distance to the lower
// bound, bubble, peak memory), fastest first, so users can pick a schedule
// by its numbers. A pipeline whose budget is what device memory leaves gets
// a second table: per device its memory, what it keeps besides activations
// and the activation budget that remains.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Target/Translations.h"
#include "crosspipe/Interop/SimulatedSchedule.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <set>

using namespace mlir;
using namespace crosspipe;

namespace {
struct Row {
  std::string name, algorithm;
  double makespanMs, lowerBoundMs, meanBubble;
  uint64_t peakBytes, budgetBytes;
};
} // namespace

/// The device-memory budget of a pipeline, devices with the same numbers
/// merged into one row.
static void printMemoryBreakdown(StringRef pipeline,
                                 const sched::Problem &problem,
                                 raw_ostream &os) {
  const std::vector<sched::StaticMemory> &fixed = problem.staticMemory;
  int n = problem.numDevices();
  if (fixed.size() != size_t(n) || problem.memoryLimitBytes.size() != size_t(n))
    return;
  os << "\nMemory of @" << pipeline
     << ": device memory less what each device keeps besides activations\n\n"
     << "| devices | device memory | weights | gradients | optimizer states "
        "| reserved | activation budget |\n"
     << "|---|---:|---:|---:|---:|---:|---:|\n";
  auto row = [&](int d) {
    const sched::StaticMemory &f = fixed[d];
    return std::vector<uint64_t>{
        problem.deviceMemory(d), f.weightBytes,   f.gradientBytes,
        f.optimizerBytes,        f.reservedBytes, problem.memoryLimitBytes[d]};
  };
  for (int first = 0; first < n;) {
    int last = first;
    while (last + 1 < n && row(last + 1) == row(first))
      ++last;
    os << "| " << first;
    if (last > first)
      os << "-" << last;
    for (uint64_t value : row(first))
      os << " | " << byteSizeText(value);
    os << " |\n";
    first = last + 1;
  }
}

static LogicalResult scheduleReport(Operation *root, raw_ostream &os) {
  FailureOr<std::vector<SimulatedSchedule>> all =
      simulateSchedules(root, /*only=*/"", "report");
  if (failed(all))
    return failure();
  std::vector<Row> rows;
  for (const SimulatedSchedule &s : *all) {
    const sched::SimResult &result = s.result;
    ScheduleOp op = s.op;
    Row row;
    row.name = op.getSymName().str();
    row.algorithm = op.getAlgorithm().str();
    row.makespanMs = result.makespanMs;
    row.lowerBoundMs = s.lowerBoundMs;
    double bubble = 0;
    for (double b : result.bubbleRatio)
      bubble += b;
    row.meanBubble = result.bubbleRatio.empty()
                         ? 0
                         : bubble / double(result.bubbleRatio.size());
    // The device closest to its budget tells whether memory binds.
    row.peakBytes = 0;
    row.budgetBytes = sched::kUnlimited;
    double worst = -1;
    for (int d = 0, e = s.problem.numDevices(); d < e; ++d) {
      uint64_t limit = s.problem.memoryLimit(d);
      double use = limit == sched::kUnlimited
                       ? 0
                       : double(result.peakMemoryBytes[d]) / double(limit);
      if (use > worst ||
          (worst <= 0 && result.peakMemoryBytes[d] > row.peakBytes)) {
        worst = use;
        row.peakBytes = result.peakMemoryBytes[d];
        row.budgetBytes = limit;
      }
    }
    rows.push_back(row);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
    return a.makespanMs < b.makespanMs;
  });
  os << "| schedule | algorithm | makespan (ms) | makespan / lower bound | "
        "mean bubble | peak activations (budget) |\n"
     << "|---|---|---:|---:|---:|---|\n";
  for (const Row &row : rows) {
    std::string peak, budget;
    llvm::raw_string_ostream peakOs(peak), budgetOs(budget);
    printByteSize(peakOs, row.peakBytes);
    if (row.budgetBytes == sched::kUnlimited)
      budgetOs << "unlimited";
    else
      printByteSize(budgetOs, row.budgetBytes);
    os << "| " << row.name << " | " << row.algorithm << " | "
       << llvm::format("%.1f", row.makespanMs) << " | "
       << llvm::format("%.3f", row.makespanMs / row.lowerBoundMs) << " | "
       << llvm::format("%.3f", row.meanBubble) << " | " << peak << " ("
       << budget << ") |\n";
  }
  std::set<std::string> shown;
  for (const SimulatedSchedule &s : *all) {
    ScheduleOp op = s.op;
    if (shown.insert(op.getPipeline().str()).second)
      printMemoryBreakdown(op.getPipeline(), s.problem, os);
  }
  return success();
}

void crosspipe::registerScheduleReportTranslation() {
  TranslateFromMLIRRegistration registration(
      "schedule-report", "print a table comparing the module's schedules",
      scheduleReport,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
