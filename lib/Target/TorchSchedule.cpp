//===- TorchSchedule.cpp - Schedules to and from PyTorch CSVs -------------===//
//
// `crosspipe-translate --export-torch-schedule`: a schedule of the module as
// the CSV that torch.distributed.pipelining's _PipelineScheduleRuntime
// loads (`--torch-form=compute` for `_load_csv(path)`, `comms` for
// format="compute_comms"); `--torch-schedule=NAME` picks the schedule
// (default: the fastest).
//
// `crosspipe-translate --import-torch-schedule FILE.csv --torch-problem=P`:
// reads such a CSV (PyTorch's or ours) against the problem P (a JSON
// description or crosspipe IR) and writes the problem with the schedule as
// crosspipe IR, its ops located at the CSV's rows and columns, so that
// --crosspipe-verify-schedule points into the CSV and --crosspipe-simulate
// times it under our network model. The mapping is in
// crosspipe/Format/TorchSchedule.h.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "crosspipe/Format/ProblemJson.h"
#include "crosspipe/Format/TorchSchedule.h"
#include "crosspipe/Interop/ScheduleDiagnostics.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Target/Translations.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace crosspipe;

static llvm::cl::opt<std::string> torchSchedule(
    "torch-schedule",
    llvm::cl::desc("--export-torch-schedule: name of the schedule to export "
                   "(default: the fastest)"),
    llvm::cl::init(""));

static llvm::cl::opt<sched::TorchForm> torchForm(
    "torch-form",
    llvm::cl::desc("--export-torch-schedule: which CSV form to write"),
    llvm::cl::values(clEnumValN(sched::TorchForm::ComputeOnly, "compute",
                                "compute actions only (format=compute_only)"),
                     clEnumValN(sched::TorchForm::WithComms, "comms",
                                "with sends, receives and REDUCE_GRAD "
                                "(format=compute_comms)")),
    llvm::cl::init(sched::TorchForm::ComputeOnly));

static llvm::cl::opt<std::string> torchProblem(
    "torch-problem",
    llvm::cl::desc("--import-torch-schedule: the problem the CSV schedules "
                   "(a .json description or crosspipe IR)"),
    llvm::cl::init(""));

//===----------------------------------------------------------------------===//
// Export
//===----------------------------------------------------------------------===//

static LogicalResult exportTorchSchedule(Operation *root, raw_ostream &os) {
  FailureOr<std::vector<SimulatedSchedule>> all =
      simulateSchedules(root, torchSchedule, "export");
  if (failed(all))
    return failure();
  const SimulatedSchedule *best = &fastest(*all);
  SmallVector<CollectiveOp> collectiveOps;
  std::vector<sched::CollectiveNote> collectives =
      readCollectives(best->op, collectiveOps);
  sched::TorchWriteResult written =
      sched::writeTorchSchedule(best->problem, best->read.schedule,
                                best->result, collectives, torchForm);
  if (!written.ok)
    return ScheduleOp(best->op).emitOpError("cannot be written as a PyTorch schedule: ")
           << written.error;
  os << written.csv;
  return success();
}

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

/// Loads the problem file into `module`: a JSON description is imported, IR
/// is parsed and its ops moved in. Returns its pipeline op.
static FailureOr<PipelineOp> loadProblem(ModuleOp module,
                                         MLIRContext *context) {
  if (torchProblem.empty())
    return emitError(module.getLoc(),
                     "--import-torch-schedule needs --torch-problem=FILE "
                     "(the problem the CSV schedules)");
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      openInputFile(torchProblem, &error);
  if (!buffer)
    return emitError(module.getLoc(), "cannot read the problem '")
           << torchProblem << "': " << error;
  StringRef text = buffer->getBuffer();
  if (StringRef(torchProblem).ends_with(".json")) {
    ParsedProblem parsed =
        parseProblemJson(std::string_view(text.data(), text.size()));
    if (!parsed.ok)
      return emitError(FileLineColLoc::get(context, torchProblem,
                                           parsed.error.line,
                                           parsed.error.column),
                       parsed.error.message);
    return emitProblem(module, parsed.problem, torchProblem);
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> parsed = parseSourceFile<ModuleOp>(sourceMgr, context);
  if (!parsed)
    return failure();
  PipelineOp pipeline;
  for (Operation &op : llvm::make_early_inc_range(*parsed->getBody())) {
    if (isa<ScheduleOp>(op))
      continue; // The CSV is the schedule.
    op.moveBefore(module.getBody(), module.getBody()->end());
    if (auto p = dyn_cast<PipelineOp>(op); p && !pipeline)
      pipeline = p;
  }
  if (!pipeline)
    return emitError(module.getLoc(), "the problem '")
           << torchProblem << "' has no crosspipe.pipeline";
  return pipeline;
}

/// Moves every op of the schedule to the CSV cell it came from, and adds
/// the collectives the CSV's REDUCE_GRAD actions stand for.
static void locateAndAddCollectives(ScheduleOp op,
                                    const sched::TorchReadResult &read,
                                    StringRef file) {
  MLIRContext *ctx = op.getContext();
  auto locOf = [&](sched::TorchCell cell) {
    return FileLineColLoc::get(ctx, file, cell.row, cell.column);
  };
  int d = 0;
  for (ProgramOp program : op.getPrograms()) {
    int i = 0;
    for (Operation &block : program.getBody().front())
      block.setLoc(locOf(read.cells[d][i++]));
    ++d;
  }
  for (size_t k = 0; k < read.collectives.size(); ++k) {
    const sched::CollectiveNote &n = read.collectives[k];
    ProgramOp program = *std::next(op.getPrograms().begin(), n.program);
    Block &body = program.getBody().front();
    OpBuilder b(ctx);
    if (n.computeBefore == 0)
      b.setInsertionPointToStart(&body);
    else
      b.setInsertionPointAfter(
          &*std::next(body.begin(), n.computeBefore - 1));
    createOp<CollectiveOp>(b, locOf(read.collectiveCells[k]), int64_t(n.chunk),
                           TimeAttr(), TimeAttr());
  }
}

static OwningOpRef<Operation *> importTorchSchedule(llvm::SourceMgr &sourceMgr,
                                                    MLIRContext *context) {
  context->loadDialect<CrossPipeDialect>();
  const llvm::MemoryBuffer *csv =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef file = csv->getBufferIdentifier();
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(FileLineColLoc::get(context, file, 1, 1));
  FailureOr<PipelineOp> pipeline = loadProblem(*module, context);
  if (failed(pipeline) || failed(verify(*module)))
    return nullptr;
  FailureOr<sched::Problem> problem = buildProblem(*pipeline);
  if (failed(problem))
    return nullptr;
  sched::TorchReadResult read = sched::readTorchSchedule(
      *problem, std::string_view(csv->getBufferStart(), csv->getBufferSize()));
  for (const auto &[cell, message] : read.warnings)
    emitWarning(FileLineColLoc::get(context, file, cell.row, cell.column),
                message);
  if (!read.ok) {
    emitError(FileLineColLoc::get(context, file, read.at.row, read.at.column),
              read.error);
    return nullptr;
  }
  std::string name = (pipeline->getSymName() + "_torch").str();
  ScheduleOp op = emitSchedule(*pipeline, read.schedule, name);
  op->setLoc(FileLineColLoc::get(context, file, 1, 1));
  locateAndAddCollectives(op, read, file);
  if (failed(verify(*module)))
    return nullptr;
  return OwningOpRef<Operation *>(module.release());
}

void crosspipe::registerTorchScheduleTranslations() {
  TranslateFromMLIRRegistration exportRegistration(
      "export-torch-schedule",
      "write a schedule as a torch.distributed.pipelining CSV",
      exportTorchSchedule,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
  TranslateToMLIRRegistration importRegistration(
      "import-torch-schedule",
      "read a torch.distributed.pipelining CSV against --torch-problem",
      importTorchSchedule,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
