//===- NaiveSimulator.h - A deliberately naive reference simulator -*- C++ -*-//
//
// An independent re-implementation of the timing contract, used only to
// cross-check simulate(): it shares no code with lib/Schedule/Simulator.cpp,
// finds blocks through std::map, and computes start times by fixed-point
// iteration (recompute every block from the previous round's times, with the
// link queues rebuilt from scratch by sorting messages, until nothing
// changes). Slow on purpose; only for small problems and valid schedules.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_SCHEDULE_NAIVESIMULATOR_H
#define CROSSPIPE_UNITTESTS_SCHEDULE_NAIVESIMULATOR_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

namespace crosspipe {
namespace sched {
namespace test {

struct NaiveResult {
  bool converged = false;
  std::vector<std::vector<double>> start, end;
  std::vector<uint64_t> peakMemory;
  std::vector<double> collectiveEnd; ///< Per chunk (dpDegree > 1).
  double makespan = 0;
};

inline NaiveResult naiveSimulate(const Problem &p, const Schedule &s) {
  using Key = std::tuple<int, int, int, int>; // kind, chunk, mb, part
  using Pos = std::pair<int, int>;            // device, index
  std::map<Key, Pos> where;
  std::map<std::tuple<int, int, int>, int> partsOf;
  int numDev = int(s.order.size());
  for (int d = 0; d < numDev; ++d)
    for (int i = 0; i < int(s.order[d].size()); ++i) {
      const Block &b = s.order[d][i];
      where[Key(int(b.kind), b.chunk, b.mb, b.part)] = Pos(d, i);
      partsOf[std::make_tuple(int(b.kind), b.chunk, b.mb)] = b.parts;
    }
  auto duration = [&](const Block &b) {
    const Chunk &c = p.chunks[b.chunk];
    double full = b.kind == BlockKind::F   ? c.forwardMs
                  : b.kind == BlockKind::B ? c.backwardMs
                  : b.kind == BlockKind::D ? c.dgradMs
                                           : c.wgradMs;
    return full / b.parts;
  };
  // The position of the last part of a logical block.
  auto lastPart = [&](BlockKind kind, int chunk, int mb) {
    int parts = partsOf[std::make_tuple(int(kind), chunk, mb)];
    return where[Key(int(kind), chunk, mb, parts - 1)];
  };
  BlockKind back = p.splitBackward ? BlockKind::D : BlockKind::B;
  int numChunks = p.numChunks();
  // Producers of a block's part 0 (or part k-1 for part k).
  auto producers = [&](const Block &b) {
    std::vector<Pos> out;
    if (b.part > 0) {
      out.push_back(where[Key(int(b.kind), b.chunk, b.mb, b.part - 1)]);
      return out;
    }
    if (b.kind == BlockKind::F && b.chunk > 0)
      out.push_back(lastPart(BlockKind::F, b.chunk - 1, b.mb));
    if (b.kind == back) {
      out.push_back(lastPart(BlockKind::F, b.chunk, b.mb));
      if (b.chunk + 1 < numChunks)
        out.push_back(lastPart(back, b.chunk + 1, b.mb));
    }
    if (b.kind == BlockKind::W)
      out.push_back(lastPart(BlockKind::D, b.chunk, b.mb));
    return out;
  };

  NaiveResult r;
  r.start.resize(numDev);
  r.end.resize(numDev);
  for (int d = 0; d < numDev; ++d) {
    r.start[d].assign(s.order[d].size(), 0.0);
    r.end[d].assign(s.order[d].size(), 0.0);
  }
  size_t total = where.size();
  for (size_t iter = 0; iter < 4 * total + 10 && !r.converged; ++iter) {
    // Rebuild every link queue from the current send times.
    struct Msg {
      double send;
      int src, idx;
      Pos consumer;
      double bw, lat;
    };
    std::map<LinkId, std::vector<Msg>> queues;
    for (int d = 0; d < numDev; ++d)
      for (int i = 0; i < int(s.order[d].size()); ++i) {
        const Block &b = s.order[d][i];
        if (b.part != 0)
          continue;
        for (Pos prod : producers(b)) {
          if (prod.first == d)
            continue;
          const LinkCost *cost = p.linkCost(prod.first, d);
          int boundary =
              std::min(b.chunk, s.order[prod.first][prod.second].chunk);
          uint64_t bytes = p.chunks[boundary].messageBytes;
          queues[p.linkBetween(prod.first, d)].push_back(
              Msg{r.end[prod.first][prod.second], prod.first, prod.second,
                  Pos(d, i), cost ? cost->bandwidthMs(bytes) : 0.0,
                  cost ? cost->latencyMs : 0.0});
        }
      }
    std::map<Pos, double> ready;
    for (auto &entry : queues) {
      std::vector<Msg> &q = entry.second;
      std::sort(q.begin(), q.end(), [](const Msg &a, const Msg &b) {
        return std::make_tuple(a.send, a.src, a.idx) <
               std::make_tuple(b.send, b.src, b.idx);
      });
      double free = 0;
      for (const Msg &msg : q) {
        double begin = std::max(free, msg.send);
        free = begin + msg.bw;
        ready[msg.consumer] = std::max(ready[msg.consumer], free + msg.lat);
      }
    }
    bool changed = false;
    for (int d = 0; d < numDev; ++d) {
      double t = 0;
      for (int i = 0; i < int(s.order[d].size()); ++i) {
        const Block &b = s.order[d][i];
        double st = std::max(t, ready[Pos(d, i)]);
        for (Pos prod : producers(b))
          if (prod.first == d)
            st = std::max(st, r.end[d][prod.second]);
        double en = st + duration(b);
        changed |= st != r.start[d][i] || en != r.end[d][i];
        r.start[d][i] = st;
        r.end[d][i] = en;
        t = en;
      }
    }
    r.converged = !changed;
  }

  // Memory by sweeping timed events; frees sort before allocations. A part
  // is a slice of layers: slice k of n holds A / n bytes (one more for the
  // first A % n slices); F part k allocates slice k, backward part j frees
  // slice n - 1 - j: B all of it, D all but W's share, W that share.
  r.peakMemory.assign(numDev, 0);
  auto slice = [](long long bytes, int n, int k) {
    return bytes / n + (k < bytes % n ? 1 : 0);
  };
  for (int d = 0; d < numDev; ++d) {
    std::vector<std::pair<double, long long>> events;
    for (int i = 0; i < int(s.order[d].size()); ++i) {
      const Block &b = s.order[d][i];
      const Chunk &ch = p.chunks[b.chunk];
      long long act = (long long)ch.activationBytes;
      long long keep = (long long)std::min(
          ch.wgradActivationBytes.value_or(ch.activationBytes),
          ch.activationBytes);
      int n = b.parts, back = b.parts - 1 - b.part;
      if (b.kind == BlockKind::F)
        events.emplace_back(r.start[d][i], slice(act, n, b.part));
      else if (b.kind == BlockKind::B)
        events.emplace_back(r.end[d][i], -slice(act, n, back));
      else if (b.kind == BlockKind::D)
        events.emplace_back(r.end[d][i],
                            -(slice(act, n, back) - slice(keep, n, back)));
      else
        events.emplace_back(r.end[d][i], -slice(keep, n, back));
    }
    std::sort(events.begin(), events.end());
    long long held = 0, peak = 0;
    for (auto &e : events) {
      held += e.second;
      peak = std::max(peak, held);
    }
    r.peakMemory[d] = uint64_t(peak);
  }

  double origin = 1e300, first = 1e300, last = 0;
  for (int d = 0; d < numDev; ++d)
    for (int i = 0; i < int(s.order[d].size()); ++i) {
      first = std::min(first, r.start[d][i]);
      last = std::max(last, r.end[d][i]);
      if (d == 0 && s.order[d][i].kind == BlockKind::F)
        origin = std::min(origin, r.start[d][i]);
    }
  if (origin == 1e300)
    origin = first;
  if (p.dpDegree > 1) {
    // The gradient is complete when the chunk's last W (or B) ends.
    BlockKind freeKind = p.splitBackward ? BlockKind::W : BlockKind::B;
    std::map<int, std::vector<std::pair<double, int>>> perDevice;
    for (int c = 0; c < numChunks; ++c) {
      double readyAt = 0;
      for (int mb = 0; mb < p.numMicrobatches; ++mb) {
        Pos pos = lastPart(freeKind, c, mb);
        readyAt = std::max(readyAt, r.end[pos.first][pos.second]);
      }
      perDevice[p.chunks[c].device].emplace_back(readyAt, c);
    }
    r.collectiveEnd.assign(numChunks, 0);
    for (auto &entry : perDevice) {
      std::sort(entry.second.begin(), entry.second.end());
      double free = 0;
      for (auto &job : entry.second) {
        free = std::max(free, job.first) + p.allreduceMs(job.second);
        r.collectiveEnd[job.second] = free;
        last = std::max(last, free);
      }
    }
  }
  r.makespan = last - origin;
  return r;
}

} // namespace test
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_SCHEDULE_NAIVESIMULATOR_H
