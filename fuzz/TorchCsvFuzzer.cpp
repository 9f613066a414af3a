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
  int devices = 4, chunks = placement == Placement::Unidirectional ? 4 : 8;
  Problem p;
  p.name = "fuzz";
  p.numMicrobatches = 4;
  p.placement = placement;
  p.splitBackward = split;
  p.datacenters.resize(2);
  p.datacenters[0].name = "east";
  p.datacenters[1].name = "west";
  p.datacenters[0].numDevices = p.datacenters[1].numDevices = 2;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      link.cost.latencyMs = a == b ? 0.0 : 2.0;
      link.cost.bandwidthGbps = 100;
      p.links.push_back(link);
    }
  for (int c = 0; c < chunks; ++c) {
    Chunk ch;
    ch.device = Problem::placeChunk(placement, c, devices);
    ch.forwardMs = 1;
    ch.backwardMs = 2;
    ch.dgradMs = 1;
    ch.wgradMs = 1;
    ch.activationBytes = 1 << 20;
    ch.messageBytes = c + 1 < chunks ? 1 << 20 : 0;
    p.chunks.push_back(ch);
  }
  return p;
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
