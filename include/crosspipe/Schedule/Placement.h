//===- Placement.h - Which device runs which chunk --------------*- C++ -*-===//
//
// The placement rules of the problem model, header-only so that the dialect's
// verifier checks stages against the same rule the importer and the
// schedulers use without linking the scheduling library.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_PLACEMENT_H
#define CROSSPIPE_SCHEDULE_PLACEMENT_H

namespace crosspipe {
namespace sched {

enum class Placement { Unidirectional, Interleaved, Wave, Custom };

/// Device of chunk `chunk` under a placement rule with `numDevices`
/// devices: unidirectional (and custom) chunk c on device c, interleaved
/// round robin, wave back and forth (0..P-1, P-1..0, ...).
inline int placeChunk(Placement placement, int chunk, int numDevices) {
  switch (placement) {
  case Placement::Interleaved:
    return chunk % numDevices;
  case Placement::Wave: {
    int pos = chunk % (2 * numDevices);
    return pos < numDevices ? pos : 2 * numDevices - 1 - pos;
  }
  case Placement::Unidirectional:
  case Placement::Custom:
    return chunk;
  }
  return chunk;
}

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_PLACEMENT_H
