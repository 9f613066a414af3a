//===- PlanInterop.h - Between plan ops and the plan model ------*- C++ -*-===//
//
// Reads a crosspipe.plan into the MLIR-free plan model (crosspipe/Plan),
// keeping the op of every action and buffer so that what the model's checks
// find can be reported at the ops, and writes plan data as a crosspipe.plan
// (what --crosspipe-execution-plan produces).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_INTEROP_PLANINTEROP_H
#define CROSSPIPE_INTEROP_PLANINTEROP_H

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Plan/ExecutionPlan.h"

#include <vector>

namespace crosspipe {

/// A plan read from IR, with the op of every action (parallel to
/// `plan.actions`) and of every buffer (parallel to `plan.buffers`).
/// Absent times read as 0; anchors and collectives, which the IR does not
/// carry, stay unset.
struct PlanFromIR {
  plan::Plan plan;
  std::vector<mlir::Operation *> actionOps;
  std::vector<BufferOp> bufferOps;
};

/// Writes a plan as a crosspipe.plan named `name` right after its schedule
/// op; `read` gives the op of every block (the locations of the plan's ops).
PlanOp writePlan(ScheduleOp schedule, const ScheduleFromIR &read,
                 const plan::Plan &plan, llvm::StringRef name);

/// Reads a plan op. The op verifiers guarantee what the model needs; the
/// read fails (with an error at the op) only where the IR is not verified:
/// a buffer reference or an event that does not resolve in the plan.
mlir::FailureOr<PlanFromIR> readPlan(PlanOp op);

} // namespace crosspipe

#endif // CROSSPIPE_INTEROP_PLANINTEROP_H
