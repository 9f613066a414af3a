//===- GreedyAnalysis.cpp - DP collectives and critical path of a run -----===//
//
// After a run: the DP collectives, timed exactly as the simulator does
// (ZeRO-1 all-gathers first, then one gradient collective per chunk and
// bucket, FIFO by ready time on each device's communication resource), and
// the critical path of the schedule, walked backwards from whatever ends last
// (a block or a collective). At each block the path continues through the
// reason it started when it did: the input BlockGraph::inputsOf names that
// arrived last (data edge, with the realized transfer delay) or, when the
// inputs were there earlier, the block its device was busy with (resource
// edge). Blocks reached through a resource edge are
// the ones a different priority could have started earlier; the improvement
// loop in Greedy.cpp promotes them one at a time and keeps a promotion only
// if the makespan drops. (Demoting the block that held the device instead
// was tried too: it found the same schedules with twice the runs.)
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include "crosspipe/Schedule/Simulator.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

static constexpr double kInf = std::numeric_limits<double>::infinity();

double GreedyEngine::endOf(const std::vector<std::vector<Block>> &orders, int d,
                           int i) const {
  const Block &b = orders[d][i];
  return starts[d][i] + durPart[b.chunk * 3 + BlockGraph::slotOf(b.kind)];
}

std::pair<int, int>
GreedyEngine::criticalEnd(const std::vector<std::vector<Block>> &orders,
                          double eps) const {
  // The last thing to end: a block, or a chain of all-reduces leading back
  // to the W (or B) that made the first of them ready.
  int curDev = -1, curPos = -1;
  double blockEnd = -1;
  for (int d = 0; d < numDev; ++d) {
    if (orders[d].empty())
      continue;
    double e = endOf(orders, d, int(orders[d].size()) - 1);
    if (e > blockEnd) {
      blockEnd = e;
      curDev = d;
      curPos = int(orders[d].size()) - 1;
    }
  }
  int coll = -1;
  for (int i = 0, e = int(colls.size()); i < e; ++i)
    if (colls[i].end > blockEnd + eps &&
        (coll < 0 || colls[i].end > colls[coll].end))
      coll = i;
  while (coll >= 0) {
    const Collective &x = colls[coll];
    if (x.blockDev < 0)
      return {-1, curPos}; // An all-gather: nothing runs before it.
    if (x.start <= x.ready + eps)
      return {x.blockDev, x.blockPos};
    // Queued behind the collective that ended when this one started.
    int prev = -1;
    for (int i = 0, e = int(colls.size()); i < e; ++i)
      if (i != coll && colls[i].device == x.device &&
          std::fabs(colls[i].end - x.start) <= eps)
        prev = i;
    if (prev < 0)
      break;
    coll = prev;
  }
  return {curDev, curPos};
}

bool GreedyEngine::lastInput(const Block &b, Step &out, double &arrival) const {
  // The arrival of each input at b: the end of a block of the same chunk,
  // the message's arrival from another chunk.
  const Times &x = times[size_t(b.chunk) * numMb + b.mb];
  Step self{b.kind, b.chunk};
  bool found = false;
  arrival = 0;
  for (Step in : graph.inputsOf(self)) {
    double at;
    if (!BlockGraph::crossesStages(in, self))
      at = in.kind == BlockKind::F ? x.fEnd : x.dEnd;
    else
      at = BlockGraph::isGradient(in) ? x.bArr : x.fArr;
    if (!found || at >= arrival) {
      out = in;
      arrival = at;
      found = true;
    }
  }
  return found;
}

void GreedyEngine::delayedCriticalBlocks(const Schedule &last,
                                         std::vector<int> &out) const {
  out.clear();
  int M = numMb;
  const std::vector<std::vector<Block>> &orders = last.order;
  // Tolerance for "equal" times: sums of the same durations in another
  // order may differ in the last bits.
  double eps = 1e-9 * std::max(1.0, lastEnd);
  auto [curDev, curPos] = criticalEnd(orders, eps);
  auto logical = [&](const Block &b) {
    return int((size_t(b.chunk) * M + b.mb) * 3 + BlockGraph::slotOf(b.kind));
  };
  while (curDev >= 0 && curPos >= 0) {
    const Block &b = orders[curDev][curPos];
    double s = starts[curDev][curPos];
    double prevEnd = curPos > 0 ? endOf(orders, curDev, curPos - 1) : 0.0;
    if (b.part > 0) {
      // Later parts are ready when the previous part ends; anything else
      // in between held this block up.
      const Block &p = orders[curDev][curPos - 1];
      if (!(p.chunk == b.chunk && p.mb == b.mb && p.kind == b.kind))
        out.push_back(logical(b));
      --curPos;
      continue;
    }
    // Resource edge: the inputs were there before the device was free.
    Step in;
    double ready;
    bool fed = lastInput(b, in, ready);
    if (ready < s - eps && curPos > 0 && std::fabs(prevEnd - s) <= eps) {
      out.push_back(logical(b));
      --curPos;
      continue;
    }
    // Data edge: follow the input that arrived last.
    if (!fed)
      break;
    curDev = chunkDev[in.chunk];
    curPos = lastPos[(size_t(in.chunk) * M + b.mb) * 3 +
                     BlockGraph::slotOf(in.kind)];
  }
  // Each block once, latest first.
  std::vector<int> seen;
  seen.reserve(out.size());
  for (int id : out)
    if (std::find(seen.begin(), seen.end(), id) == seen.end())
      seen.push_back(id);
  out.swap(seen);
}

double GreedyEngine::timeCollectives() {
  colls.clear();
  if (problem.dpDegree <= 1)
    return kInf;
  int C = numChunks, nb = buckets;
  std::vector<double> commFree(numDev, 0.0);
  if (zero1) {
    for (int c = 0; c < C; ++c) {
      int d = chunkDev[c];
      colls.push_back({0.0, commFree[d], gatherEnd[c], d, -1, -1});
      commFree[d] = gatherEnd[c];
      lastEnd = std::max(lastEnd, gatherEnd[c]);
    }
  }
  std::vector<Collective> grads(size_t(C) * nb, Collective{0, 0, 0, 0, -1, -1});
  gradientsReady(grads);
  // Each device's resource serves them FIFO by ready time, ties in (chunk,
  // bucket) order.
  std::vector<int> byReady(grads.size());
  for (size_t i = 0; i < grads.size(); ++i)
    byReady[i] = int(i);
  std::stable_sort(byReady.begin(), byReady.end(), [&](int a, int b) {
    return grads[a].ready < grads[b].ready;
  });
  for (int i : byReady) {
    Collective &g = grads[i];
    g.start = std::max(g.ready, commFree[g.device]);
    g.end = commFree[g.device] = g.start + allreduce[i / nb];
    lastEnd = std::max(lastEnd, g.end);
    colls.push_back(g);
  }
  return zero1 ? 0.0 : kInf;
}

void GreedyEngine::gradientsReady(std::vector<Collective> &grads) const {
  // One bucket: the last W (or B) of the chunk. Several: bucket b waits until
  // every microbatch's W has done (b + 1) / buckets of its work, which may
  // fall inside a sub-block (bucketDoneMs, shared with the simulator).
  int C = numChunks, M = numMb, nb = buckets;
  BlockKind releaseKind = graph.releaseKind();
  int release = BlockGraph::slotOf(releaseKind);
  for (int c = 0; c < C; ++c)
    for (int b = 0; b < nb; ++b)
      grads[size_t(c) * nb + b].device = chunkDev[c];
  if (nb == 1 && !zero1) {
    for (int c = 0; c < C; ++c) {
      Collective &g = grads[c];
      g.ready = lastBack[c];
      g.blockDev = chunkDev[c];
      g.blockPos = lastPos[(size_t(c) * M + lastBackMb[c]) * 3 + release];
    }
    return;
  }
  for (int d = 0; d < numDev; ++d) {
    for (int i = 0, e = int(order[d].size()); i < e; ++i) {
      const Block &blk = order[d][i];
      if (blk.kind != releaseKind)
        continue;
      Interval time{starts[d][i],
                    starts[d][i] + durPart[blk.chunk * 3 + release]};
      for (int b = 0; b < nb; ++b) {
        double at = bucketDoneMs(blk, time, b, nb);
        Collective &g = grads[size_t(blk.chunk) * nb + b];
        if (at >= g.ready) {
          g.ready = at;
          g.blockDev = d;
          g.blockPos = i;
        }
      }
    }
  }
}
