//===- Main.cpp - The entry point of a generated plan's executable --------===//
//
// Linked when the generated plan is the program (benchmarks, the emulation);
// a training program that embeds a plan links the runtime without it and
// calls crosspipe_init / crosspipe_run_step / crosspipe_finish.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/Runtime.h"

int main(int argc, char **argv) { return crosspipe_main(argc, argv); }
