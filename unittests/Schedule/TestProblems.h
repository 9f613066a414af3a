//===- TestProblems.h - Small scheduling problems for unit tests -*- C++
//-*-===//
//
// Factories for the tiny problems the schedule unit tests share: uniform
// chunks on a few datacenters with one latency and one per-message bandwidth
// time on every cross-datacenter link, a block shorthand, and a generator of
// random but valid (deadlock-free) schedules. Header-only so any *Test.cpp
// can include it without touching the build.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_SCHEDULE_TESTPROBLEMS_H
#define CROSSPIPE_UNITTESTS_SCHEDULE_TESTPROBLEMS_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <random>
#include <string>
#include <vector>

namespace crosspipe {
namespace sched {
namespace test {

/// Bytes of every inter-chunk message; chosen so that a link of
/// 1000 / t Gbit/s moves one message in t ms.
constexpr uint64_t kMessageBytes = 125000000;

/// A problem with `devices` devices spread over `dcs` datacenters (the first
/// devices % dcs datacenters get one extra device), chunks of equal cost
/// placed by `placement` (UD: one chunk per device; Interleaved:
/// chunksPerDevice chunks per device, default 2; Wave: 2 per device), 1 MiB
/// of activation per chunk, free intra-datacenter links and cross-datacenter
/// links of `latencyMs` latency that carry one message in `bwMsPerMessage`.
inline Problem makeUniform(int devices, int dcs, int microbatches, bool split,
                           double f, double bOrD, double w, double latencyMs,
                           double bwMsPerMessage,
                           Placement placement = Placement::Unidirectional,
                           int chunksPerDevice = 0) {
  Problem p;
  p.name = "uniform";
  p.numMicrobatches = microbatches;
  p.placement = placement;
  p.splitBackward = split;
  for (int i = 0; i < dcs; ++i) {
    Datacenter dc;
    dc.name = "dc" + std::to_string(i);
    dc.numDevices = devices / dcs + (i < devices % dcs ? 1 : 0);
    p.datacenters.push_back(dc);
  }
  for (int a = 0; a < dcs; ++a) {
    for (int b = 0; b < dcs; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      if (a != b) {
        link.cost.latencyMs = latencyMs;
        link.cost.bandwidthGbps =
            bwMsPerMessage > 0 ? 1000.0 / bwMsPerMessage : 0;
      }
      p.links.push_back(link);
    }
  }
  int perDevice = 1;
  if (placement == Placement::Wave)
    perDevice = 2;
  else if (placement == Placement::Interleaved)
    perDevice = chunksPerDevice > 0 ? chunksPerDevice : 2;
  for (int c = 0; c < devices * perDevice; ++c) {
    Chunk ch;
    ch.device = Problem::placeChunk(placement, c, devices);
    ch.forwardMs = f;
    ch.backwardMs = split ? 0 : bOrD;
    ch.dgradMs = split ? bOrD : 0;
    ch.wgradMs = split ? w : 0;
    ch.activationBytes = kMiB;
    ch.messageBytes = kMessageBytes;
    p.chunks.push_back(ch);
  }
  return p;
}

inline Block blk(BlockKind kind, int chunk, int mb, int part = 0,
                 int parts = 1) {
  Block b;
  b.kind = kind;
  b.chunk = chunk;
  b.mb = mb;
  b.part = part;
  b.parts = parts;
  return b;
}

/// A random valid schedule: a random topological order of all (sub-)blocks,
/// projected onto devices, so it can never deadlock. Each logical block is
/// cut into 1..maxParts parts.
inline Schedule randomValidSchedule(const Problem &p, unsigned seed,
                                    int maxParts = 1) {
  std::mt19937 rng(seed);
  int numChunks = p.numChunks(), m = p.numMicrobatches;
  int k = p.splitBackward ? 3 : 2;
  int n = numChunks * m * k;
  auto id = [&](int c, int mb, int slot) { return (c * m + mb) * k + slot; };
  std::vector<int> parts(n), placed(n, 0);
  std::uniform_int_distribution<int> partDist(1, maxParts);
  for (int &x : parts)
    x = partDist(rng);
  auto done = [&](int i) { return placed[i] == parts[i]; };
  auto ready = [&](int i) {
    if (placed[i] > 0)
      return !done(i);
    int slot = i % k, mb = i / k % m, c = i / k / m;
    if (slot == 0)
      return c == 0 || done(id(c - 1, mb, 0));
    if (slot == 1)
      return done(id(c, mb, 0)) &&
             (c + 1 == numChunks || done(id(c + 1, mb, 1)));
    return done(id(c, mb, 1));
  };
  Schedule s;
  s.algorithm = "random";
  s.order.resize(p.numDevices());
  std::vector<int> candidates;
  for (;;) {
    candidates.clear();
    for (int i = 0; i < n; ++i)
      if (ready(i))
        candidates.push_back(i);
    if (candidates.empty())
      break;
    int i = candidates[std::uniform_int_distribution<int>(
        0, int(candidates.size()) - 1)(rng)];
    int slot = i % k, mb = i / k % m, c = i / k / m;
    BlockKind kind = slot == 0   ? BlockKind::F
                     : slot == 2 ? BlockKind::W
                                 : (k == 3 ? BlockKind::D : BlockKind::B);
    s.order[p.chunks[c].device].push_back(
        blk(kind, c, mb, placed[i], parts[i]));
    ++placed[i];
  }
  return s;
}

/// Hand-written 1F1B for chunks on distinct devices (not Baselines.cpp, so the
/// two check each other): S-s-1 warm-up forwards, then one forward and one
/// backward, then the remaining backwards. Split backward runs W after D.
inline Schedule refOneFOneB(const Problem &p) {
  int s = p.numChunks(), m = p.numMicrobatches;
  Schedule sched;
  sched.order.resize(p.numDevices());
  for (int st = 0; st < s; ++st) {
    std::vector<Block> &o = sched.order[p.chunks[st].device];
    auto back = [&](int mb) {
      if (p.splitBackward) {
        o.push_back(blk(BlockKind::D, st, mb));
        o.push_back(blk(BlockKind::W, st, mb));
      } else {
        o.push_back(blk(BlockKind::B, st, mb));
      }
    };
    int warm = std::min(s - st - 1, m);
    for (int i = 0; i < warm; ++i)
      o.push_back(blk(BlockKind::F, st, i));
    for (int i = 0; i + warm < m; ++i) {
      o.push_back(blk(BlockKind::F, st, warm + i));
      back(i);
    }
    for (int i = m - warm; i < m; ++i)
      back(i);
  }
  return sched;
}

/// Hand-written GPipe for chunks on distinct devices: all forwards, then all
/// backwards (D then W when split), microbatches ascending.
inline Schedule refGPipe(const Problem &p) {
  Schedule sched;
  sched.order.resize(p.numDevices());
  for (int c = 0; c < p.numChunks(); ++c) {
    std::vector<Block> &o = sched.order[p.chunks[c].device];
    for (int mb = 0; mb < p.numMicrobatches; ++mb)
      o.push_back(blk(BlockKind::F, c, mb));
    for (int mb = 0; mb < p.numMicrobatches; ++mb) {
      if (p.splitBackward) {
        o.push_back(blk(BlockKind::D, c, mb));
        o.push_back(blk(BlockKind::W, c, mb));
      } else {
        o.push_back(blk(BlockKind::B, c, mb));
      }
    }
  }
  return sched;
}

} // namespace test
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_SCHEDULE_TESTPROBLEMS_H
