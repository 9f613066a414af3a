//===- Main.cpp - crosspipe-run: run a plan on CUDA streams and NCCL ------===//
//
// crosspipe_compiled_plan is weak: a generated plan file linked into this
// program (-DCROSSPIPE_PLAN=...) provides the plan compiled in; without
// one, --plan FILE names it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/Plan.h"

extern "C" const crosspipe_plan *crosspipe_compiled_plan(void)
    __attribute__((weak));
extern "C" int crosspipe_cuda_main(int argc, char **argv,
                                   const crosspipe_plan *compiled);

int main(int argc, char **argv) {
  const crosspipe_plan *compiled =
      crosspipe_compiled_plan ? crosspipe_compiled_plan() : nullptr;
  return crosspipe_cuda_main(argc, argv, compiled);
}
