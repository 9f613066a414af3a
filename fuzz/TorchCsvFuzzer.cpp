//===- TorchCsvFuzzer.cpp - Fuzz the PyTorch schedule CSV reader ----------===//
//
// readTorchSchedule() must answer any text with a schedule or an error at a
// row and column, never a crash. The first byte picks the problem (4 ranks;
// unidirectional, interleaved or wave; fused or split backward), the rest
// is the CSV. An accepted schedule must hold every block exactly once; when
// it also simulates, writing it back in both forms and reading that again
// must give the same order.
//
//===----------------------------------------------------------------------===//

#include "FuzzProblem.h"

#include "crosspipe/Format/TorchSchedule.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace crosspipe::sched;

namespace {
Problem problemFor(uint8_t selector) {
  Placement placements[] = {Placement::Unidirectional, Placement::Interleaved,
                            Placement::Wave};
  Placement placement = placements[selector % 3];
  bool split = (selector / 3) % 2;
  int chunks = placement == Placement::Unidirectional ? 4 : 8;
  return crosspipe::fuzz::makeFuzzProblem(placement, split, 2, chunks, 4);
}

[[noreturn]] void finding(const char *what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  Problem problem = problemFor(data[0]);
  std::string_view csv(reinterpret_cast<const char *>(data) + 1, size - 1);
  TorchReadResult read = readTorchSchedule(problem, csv);
  if (!read.ok)
    return 0;
  BlockIndex index;
  if (checkComplete(problem, read.schedule, index))
    finding("an accepted CSV does not hold every block exactly once");
  SimResult sim = simulate(problem, read.schedule);
  if (!sim.ok)
    return 0; // A deadlocking order: the verifier's to report.
  for (TorchForm form : {TorchForm::ComputeOnly, TorchForm::WithComms}) {
    TorchWriteResult written =
        writeTorchSchedule(problem, read.schedule, sim, {}, form);
    if (!written.ok)
      finding("an accepted schedule cannot be written back");
    TorchReadResult again = readTorchSchedule(problem, written.csv);
    if (!again.ok || again.schedule.order != read.schedule.order)
      finding("writing and reading back changed the schedule");
  }
  return 0;
}
