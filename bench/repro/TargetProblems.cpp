//===- TargetProblems.cpp - Issue 10's problem settings -------------------===//
//
// Builders of the settings in TargetProblems.h.
//
//===----------------------------------------------------------------------===//

#include "TargetProblems.h"

#include "ReproCommon.h"

using namespace crosspipe;
using namespace crosspipe::repro;
using namespace crosspipe::sched;

namespace {
constexpr uint64_t kMessage = 64 * kMiB;
constexpr uint64_t kStageActivation = 4096 * kMiB;
} // namespace

const char *crosspipe::repro::budgetName(Budget budget) {
  return budget == Budget::Uniform ? "uniform" : "per-device";
}

Problem crosspipe::repro::targetStages(int devices, int microbatches,
                                       double f) {
  Problem p;
  p.name = "targets";
  p.numMicrobatches = microbatches;
  p.splitBackward = true;
  for (int i = 0; i < 2; ++i) {
    Datacenter dc;
    dc.name = i ? "west" : "east";
    dc.numDevices = i ? devices - devices / 2 : devices / 2;
    p.datacenters.push_back(dc);
  }
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      p.links.push_back(DcLink{a, b, LinkCost{}, SourceLoc{}});
  for (int c = 0; c < devices; ++c) {
    Chunk chunk;
    chunk.device = c;
    chunk.forwardMs = chunk.dgradMs = chunk.wgradMs = f;
    chunk.backwardMs = 2 * f;
    chunk.activationBytes = kStageActivation;
    chunk.messageBytes = c + 1 < devices ? kMessage : 0;
    p.chunks.push_back(chunk);
  }
  return p;
}

Problem crosspipe::repro::targetM70(Placement placement, int microbatches,
                                    double factor, Budget budget, double lat,
                                    double bw, int devices) {
  Problem p = targetStages(devices, microbatches, kTargetTf);
  p.memoryLimitBytes = budget == Budget::Uniform
                           ? p.limitsRelativeTo1F1BPeak(factor)
                           : p.limitsRelativeTo1F1B(factor);
  if (placement == Placement::Wave)
    p = splitChunks(p, Placement::Wave, 2);
  setCrossLinks(p, lat * kTargetTf, bw * kTargetTf, kMessage);
  return p;
}

Problem crosspipe::repro::targetFigure8(double lat, double bw) {
  Problem p = targetStages(4, 8, kTargetTf);
  p.memoryLimitBytes.assign(4, 4 * kStageActivation);
  p = splitChunks(p, Placement::Wave, 2);
  setCrossLinks(p, lat * kTargetTf, bw * kTargetTf, kMessage);
  return p;
}
