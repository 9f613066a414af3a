//===- UnrolledStep.h - Checking an unrolled step ---------------*- C++ -*-===//
//
// See UnrolledStep.cpp: the host runtime's crosspipe_exec, and the check
// that a compiled-in plan's unrolled step issues exactly its programs.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_HOST_UNROLLEDSTEP_H
#define CROSSPIPE_RUNTIME_HOST_UNROLLEDSTEP_H

#include "crosspipe/Runtime/Plan.h"

#include <string>

namespace crosspipe {
namespace rt {
namespace host {

/// True if no unrolled step is linked in, or if each device's issues its
/// program's entries 0, 1, ... in order; else false with `error`.
bool checkUnrolledStep(const crosspipe_plan &plan, std::string &error);

} // namespace host
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_HOST_UNROLLEDSTEP_H
