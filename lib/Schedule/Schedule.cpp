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

double crosspipe::sched::wholeBlockMs(const Problem &problem, int chunk,
                                      BlockKind kind) {
  const Chunk &c = problem.chunks[chunk];
  // Recomputation re-runs the forward at the start of the block that
  // carries the gradient back: B, or D when split (W reads D's output).
  double recomputeMs = c.recompute ? c.forwardMs : 0.0;
  switch (kind) {
  case BlockKind::F:
    return c.forwardMs;
  case BlockKind::B:
    return c.backwardMs + recomputeMs;
  case BlockKind::D:
    return c.dgradMs + recomputeMs;
  case BlockKind::W:
    return c.wgradMs;
  }
  return 0.0;
}

double crosspipe::sched::blockDurationMs(const Problem &problem,
                                         const Block &block) {
  return wholeBlockMs(problem, block.chunk, block.kind) /
         double(block.parts > 0 ? block.parts : 1);
}
