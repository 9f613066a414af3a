//===- UnrolledStep.cpp - A generated file's unrolled step, on the host ---===//
//
// A generated plan in the unrolled form (crosspipe-opt
// --convert-crosspipe-to-emitc form=unrolled) also defines
// crosspipe_compiled_step(rt, device), which calls crosspipe_exec(rt,
// device, index) once per entry of the device's program, in order. The
// host executor runs the tables (one thread per stream needs no issue
// loop), so here crosspipe_exec records the calls, and before running a
// compiled-in plan the runner checks that each device's unrolled step
// issues exactly its program, entry by entry: the two forms of one file
// cannot disagree unnoticed.
//
//===----------------------------------------------------------------------===//

#include "host/UnrolledStep.h"

#include <string>
#include <vector>

/// What crosspipe_exec records for one device.
struct crosspipe_runtime {
  int32_t device = 0;
  std::vector<int32_t> issued;
  std::string error;
};

extern "C" void crosspipe_compiled_step(crosspipe_runtime *rt, int32_t device)
    __attribute__((weak));

extern "C" void crosspipe_exec(crosspipe_runtime *rt, int32_t device,
                               int32_t index) {
  if (!rt)
    return;
  if (device != rt->device && rt->error.empty())
    rt->error = "the unrolled step of device " + std::to_string(rt->device) +
                " issues an entry of device " + std::to_string(device);
  try {
    rt->issued.push_back(index);
  } catch (...) {
    rt->error = "out of memory";
  }
}

bool crosspipe::rt::host::checkUnrolledStep(const crosspipe_plan &plan,
                                            std::string &error) {
  if (!crosspipe_compiled_step)
    return true;
  for (int d = 0; d < plan.devices; ++d) {
    crosspipe_runtime recorder;
    recorder.device = d;
    crosspipe_compiled_step(&recorder, d);
    if (!recorder.error.empty()) {
      error = recorder.error;
      return false;
    }
    const crosspipe_program &prog = plan.programs[d];
    size_t n = recorder.issued.size();
    for (size_t i = 0; i < n && i < size_t(prog.count); ++i)
      if (recorder.issued[i] != int32_t(i)) {
        error = "the unrolled step of device " + std::to_string(d) +
                " issues entry " + std::to_string(recorder.issued[i]) +
                " where its program has entry " + std::to_string(i);
        return false;
      }
    if (n != size_t(prog.count)) {
      error = "the unrolled step of device " + std::to_string(d) + " issues " +
              std::to_string(n) + " entries, its program has " +
              std::to_string(prog.count);
      return false;
    }
  }
  return true;
}
