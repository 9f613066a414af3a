//===- ProfileFuzzer.cpp - Fuzz the measured-profile reader ---------------===//
//
// fitProfile() reads a measured Chrome trace or a CSV; it must answer any
// text with a fit or an error naming a line or event, never a crash, and a
// fitted problem must still pass the scheduling library's validation (no
// zero, negative or non-finite cost reaches a scheduler).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/Profile.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace crosspipe::sched;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  Problem p;
  p.name = "fuzz";
  p.numMicrobatches = 2;
  p.splitBackward = data[0] % 2;
  p.datacenters.resize(2);
  p.datacenters[0].name = "east";
  p.datacenters[1].name = "west";
  p.datacenters[0].numDevices = p.datacenters[1].numDevices = 1;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      link.cost.latencyMs = a == b ? 0.0 : 2.0;
      link.cost.bandwidthGbps = 100;
      p.links.push_back(link);
    }
  for (int c = 0; c < 2; ++c) {
    Chunk ch;
    ch.device = c;
    ch.forwardMs = 1;
    ch.backwardMs = 2;
    ch.dgradMs = 1;
    ch.wgradMs = 1;
    ch.activationBytes = 1 << 20;
    ch.messageBytes = c == 0 ? 1 << 20 : 0;
    p.chunks.push_back(ch);
  }
  if (!validate(p).empty())
    std::abort();
  std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
  ProfileFit fit = fitProfile(p, text);
  if (fit.ok && !validate(p).empty()) {
    std::fprintf(stderr, "a fitted problem fails sched::validate: %s\n",
                 validate(p).c_str());
    std::abort();
  }
  return 0;
}
