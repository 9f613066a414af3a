//===- ExportPlan.cpp - A proven execution plan as a plan file ------------===//
//
// `crosspipe-translate --export-plan`: writes the module's execution plan as
// the runtime's versioned plan file (crosspipe_plan_write of
// include/crosspipe/Runtime/Plan.h), which crosspipe_plan_read loads
// without any generated code. The plan is the module's crosspipe.plan
// (proven again, as --convert-crosspipe-to-emitc does) or, in a module
// without one, its schedule planned and proven as data (as
// --crosspipe-compile does); `--plan-name=NAME` picks a plan or schedule by
// symbol. The tables are checked by the runtime's own crosspipe_plan_check
// before anything is written; on any failure nothing is written.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"
#include "crosspipe/Target/Translations.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace crosspipe;

static llvm::cl::opt<std::string> planName(
    "plan-name",
    llvm::cl::desc("--export-plan: the crosspipe.plan or crosspipe.schedule "
                   "to export (default: the only plan, else the only "
                   "schedule)"),
    llvm::cl::init(""));
static llvm::cl::opt<PlanBackend>
    planBackend("plan-backend",
                llvm::cl::desc("--export-plan: how the plan maps onto "
                               "processes and GPUs"),
                llvm::cl::init(PlanBackend::Nccl), planBackendValues());

/// The plan or schedule to export: by name, else the only plan, else the
/// only schedule.
static FailureOr<Operation *> chooseSource(ModuleOp module) {
  if (!planName.empty()) {
    Operation *op = SymbolTable::lookupSymbolIn(module, planName);
    if (op && isa<PlanOp, ScheduleOp>(op))
      return op;
    return emitError(module.getLoc(), "no crosspipe.plan or "
                                      "crosspipe.schedule named '")
           << planName << "' to export";
  }
  auto plans = llvm::to_vector(module.getOps<PlanOp>());
  auto schedules = llvm::to_vector(module.getOps<ScheduleOp>());
  if (plans.size() == 1 || (plans.empty() && schedules.size() == 1))
    return plans.empty() ? schedules.front().getOperation()
                         : plans.front().getOperation();
  if (plans.empty() && schedules.empty())
    return emitError(module.getLoc(), "no crosspipe.plan or "
                                      "crosspipe.schedule to export; run "
                                      "--crosspipe-schedule first");
  bool several = plans.size() > 1;
  return emitError(module.getLoc(), "the module has ")
         << (several ? plans.size() : schedules.size())
         << (several ? " plans" : " schedules")
         << "; choose one with --plan-name=NAME";
}

/// crosspipe_plan_write into memory, so that nothing reaches the output
/// unless the whole file was written.
static LogicalResult writePlanFile(ModuleOp module, const crosspipe_plan &plan,
                                   raw_ostream &os) {
  char error[512] = "";
  if (crosspipe_plan_check(&plan, error, sizeof(error)) != 0)
    return emitError(module.getLoc(), "the runtime's check refuses the plan: ")
           << error;
  char *data = nullptr;
  size_t size = 0;
  FILE *memory = open_memstream(&data, &size);
  if (!memory)
    return emitError(module.getLoc(), "cannot allocate the plan file");
  int written = crosspipe_plan_write(&plan, memory);
  bool closed = std::fclose(memory) == 0;
  if (written == 0 && closed)
    os.write(data, size);
  std::free(data);
  if (written != 0 || !closed)
    return emitError(module.getLoc(), "cannot write the plan file");
  return success();
}

static LogicalResult exportPlan(Operation *root, raw_ostream &os) {
  auto module = dyn_cast<ModuleOp>(root);
  if (!module)
    return root->emitError("expects a module");
  FailureOr<Operation *> source = chooseSource(module);
  if (failed(source))
    return failure();
  LoweredPlan lowered;
  LogicalResult built =
      isa<PlanOp>(*source)
          ? tablesOfPlanOp(cast<PlanOp>(*source), planBackend, lowered)
          : tablesOfSchedule(cast<ScheduleOp>(*source), planBackend, lowered);
  if (failed(built))
    return failure();
  return writePlanFile(module, lowered.tables.plan(), os);
}

void crosspipe::registerExportPlanTranslation() {
  TranslateFromMLIRRegistration registration(
      "export-plan", "write the proven execution plan as a plan file",
      exportPlan,
      [](DialectRegistry &registry) { registry.insert<CrossPipeDialect>(); });
}
