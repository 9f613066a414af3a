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
  return twoDatacenterStages("targets", devices, microbatches, f,
                             kStageActivation, kMessage);
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
