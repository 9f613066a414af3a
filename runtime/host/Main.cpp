//===- Main.cpp - crosspipe-host-run: run a plan on host threads ----------===//
//
// The host executor's command-line runner (crosspipe_host_main, Run.h).
// crosspipe_compiled_plan is weak: a generated plan file linked into this
// program provides the plan compiled in; without one, --plan FILE names it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/Run.h"

extern "C" const crosspipe_plan *crosspipe_compiled_plan(void)
    __attribute__((weak));

int main(int argc, char **argv) {
  const crosspipe_plan *compiled =
      crosspipe_compiled_plan ? crosspipe_compiled_plan() : nullptr;
  return crosspipe_host_main(argc, argv, compiled);
}
