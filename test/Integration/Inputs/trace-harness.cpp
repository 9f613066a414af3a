//===- trace-harness.cpp - The runtime's trace writer without a GPU -------===//
//
// Describes a generated plan into a runtime object and writes the trace of
// its predicted timeline, the way crosspipe_finish does for
// --trace-predicted, so the format can be compared with the simulator's
// trace on a machine with no GPU. No CUDA call is made.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s TRACE\n", argv[0]);
    return 2;
  }
  crosspipe_runtime rt;
  crosspipe_plan_describe(&rt.desc);
  rt.emulate = rt.desc.backend == CROSSPIPE_BACKEND_EMULATE;
  std::vector<double> times;
  for (const auto *list : {&rt.desc.blocks, &rt.desc.transfers,
                           &rt.desc.reduces})
    for (const auto &r : *list) {
      times.push_back(r.startMs);
      times.push_back(r.endMs);
    }
  crosspipe::rt::writeTrace(&rt, argv[1], times, rt.desc.makespanMs,
                            /*measured=*/false);
  return 0;
}
