//===- CrossPipeToEmitC.h - Execution plans to EmitC ------------*- C++ -*-===//
//
// Writing an execution plan as EmitC: the plan's tables (plan::PlanTables,
// the ABI of include/crosspipe/Runtime/Plan.h) as constant globals, the
// entry point that returns them, and in the unrolled form one runtime call
// per action. Both conversion passes (from a crosspipe.plan, and from a
// schedule planned as data) and --export-plan get their tables here, so
// their output cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_CROSSPIPETOEMITC_H
#define CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_CROSSPIPETOEMITC_H

#include "crosspipe/Conversion/Passes.h"
#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Plan/PlanTables.h"

#include "mlir/IR/BuiltinOps.h"

namespace crosspipe {

/// The arrangement (enum crosspipe_arrangement) of a backend.
int arrangementOf(PlanBackend backend);

/// A plan and its tables, as the passes and --export-plan get them.
struct LoweredPlan {
  plan::Plan plan;
  plan::PlanTables tables;
};

/// The tables of a crosspipe.plan, proven first (verifyPlan); errors are
/// reported at the ops. `out` must be fresh.
mlir::LogicalResult tablesOfPlanOp(PlanOp op, PlanBackend backend,
                                   LoweredPlan &out);

/// The tables of a schedule planned and proven as data (plan::buildPlan,
/// plan::checkPlan), named `<schedule>_plan`; errors are reported at the
/// schedule, with notes at its blocks. `out` must be fresh.
mlir::LogicalResult tablesOfSchedule(ScheduleOp op, PlanBackend backend,
                                     LoweredPlan &out);

/// The form `form` means for `tables` (auto resolved by size).
PlanForm resolveForm(PlanForm form, const plan::PlanTables &tables);

/// Appends the generated file to `module`: the include of Plan.h, the
/// tables, crosspipe_compiled_plan and, when `form` is (or resolves to)
/// unrolled, the per-device step functions and crosspipe_compiled_step.
/// `plan` is the plan the tables were built from (for the comments).
void emitPlanModule(mlir::ModuleOp module, mlir::Location loc,
                    const plan::PlanTables &tables, const plan::Plan &plan,
                    PlanForm form);

/// Removes every op of the crosspipe dialect from the module's body.
void eraseCrossPipeOps(mlir::ModuleOp module);

} // namespace crosspipe

#endif // CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_CROSSPIPETOEMITC_H
