//===- UnrolledSteps.h - A plan as one runtime call per action --*- C++ -*-===//
//
// The unrolled form's functions, emitted after the tables (see
// CrossPipeToEmitC.h). Internal to the conversion.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_UNROLLEDSTEPS_H
#define CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_UNROLLEDSTEPS_H

#include "crosspipe/Plan/PlanTables.h"

#include "mlir/IR/Builders.h"

namespace crosspipe {

/// Declares the runtime's crosspipe_exec, then defines one static function
/// per device with a crosspipe_exec call per program entry (a comment per
/// action, naming what it waits for) and crosspipe_compiled_step, which
/// runs the function of its device argument.
void emitUnrolledSteps(mlir::OpBuilder &b, mlir::Location loc,
                       const plan::PlanTables &tables, const plan::Plan &plan);

} // namespace crosspipe

#endif // CROSSPIPE_LIB_CONVERSION_CROSSPIPETOEMITC_UNROLLEDSTEPS_H
