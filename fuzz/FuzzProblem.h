//===- FuzzProblem.h - The small problem the format fuzzers read against --===//
//
// The readers of schedules and profiles interpret their input against a
// problem. The fuzz targets build one in code, the same shape for all: two
// datacenters 2 ms and 100 Gbps apart, unit compute costs, 1 MiB
// activations and messages, so that any failure is the reader's and not
// the problem's.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_FUZZ_FUZZPROBLEM_H
#define CROSSPIPE_FUZZ_FUZZPROBLEM_H

#include "crosspipe/Schedule/Problem.h"

namespace crosspipe {
namespace fuzz {

/// A problem named "fuzz" of `microbatches` microbatches over two
/// datacenters ("east", "west") of `devicesPerDc` devices each, with
/// `chunks` chunks placed by `placement`: forward 1 ms, backward 2 ms (dgrad
/// and wgrad 1 ms each when `splitBackward`), 1 MiB activations and a
/// 1 MiB message after every chunk but the last.
inline sched::Problem makeFuzzProblem(sched::Placement placement,
                                      bool splitBackward, int devicesPerDc,
                                      int chunks, int microbatches) {
  using namespace sched;
  Problem p;
  p.name = "fuzz";
  p.numMicrobatches = microbatches;
  p.placement = placement;
  p.splitBackward = splitBackward;
  p.datacenters.resize(2);
  p.datacenters[0].name = "east";
  p.datacenters[1].name = "west";
  p.datacenters[0].numDevices = p.datacenters[1].numDevices = devicesPerDc;
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
    ch.device = Problem::placeChunk(placement, c, 2 * devicesPerDc);
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

} // namespace fuzz
} // namespace crosspipe

#endif // CROSSPIPE_FUZZ_FUZZPROBLEM_H
