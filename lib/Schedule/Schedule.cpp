//===- Schedule.cpp - Blocks and their durations --------------------------===//

#include "crosspipe/Schedule/Schedule.h"

using namespace crosspipe::sched;

const char *crosspipe::sched::blockKindName(BlockKind kind) {
  switch (kind) {
  case BlockKind::F:
    return "F";
  case BlockKind::B:
    return "B";
  case BlockKind::D:
    return "D";
  case BlockKind::W:
    return "W";
  }
  return "?";
}

double crosspipe::sched::blockDurationMs(const Problem &problem,
                                         const Block &block) {
  const Chunk &c = problem.chunks[block.chunk];
  double full = 0;
  switch (block.kind) {
  case BlockKind::F:
    full = c.forwardMs;
    break;
  case BlockKind::B:
    full = c.backwardMs;
    break;
  case BlockKind::D:
    full = c.dgradMs;
    break;
  case BlockKind::W:
    full = c.wgradMs;
    break;
  }
  return full / double(block.parts > 0 ? block.parts : 1);
}
