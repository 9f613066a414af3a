//===- GreedyAnalysis.cpp - Critical path of a greedy schedule ------------===//
//
// Walks the critical path of the schedule the engine produced last, backwards
// from whatever ends last (a block or a DP all-reduce). At each block the
// path continues through the reason it started when it did: its input (data
// edge, with the realized transfer delay) or, when the input was there
// earlier, the block its device was busy with (resource edge). Blocks reached
// through a resource edge are the ones a different priority could have
// started earlier; the improvement loop in Greedy.cpp promotes them one at a
// time and keeps a promotion only if the makespan drops. (Demoting the block
// that held the device instead was tried too: it found the same schedules
// with twice the runs.)
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

static int kindIndex(BlockKind kind) {
  return kind == BlockKind::F ? KF : kind == BlockKind::W ? KW : KD;
}

void GreedyEngine::delayedCriticalBlocks(const Schedule &last,
                                         std::vector<int> &out) const {
  out.clear();
  int C = numChunks, M = numMb;
  const std::vector<std::vector<Block>> &orders = last.order;
  auto endOf = [&](int d, int i) {
    return starts[d][i] +
           durPart[orders[d][i].chunk * 3 + kindIndex(orders[d][i].kind)];
  };
  // Tolerance for "equal" times: sums of the same durations in another
  // order may differ in the last bits.
  double eps = 1e-9 * std::max(1.0, lastEnd);

  // The last thing to end: a block, or a chain of all-reduces leading back
  // to the W (or B) that made the first of them ready.
  int curDev = -1, curPos = -1;
  double blockEnd = -1;
  for (int d = 0; d < numDev; ++d) {
    if (orders[d].empty())
      continue;
    double e = endOf(d, int(orders[d].size()) - 1);
    if (e > blockEnd) {
      blockEnd = e;
      curDev = d;
      curPos = int(orders[d].size()) - 1;
    }
  }
  if (problem.dpDegree > 1) {
    int coll = -1;
    for (int c = 0; c < C; ++c)
      if (collEnd[c] > blockEnd + eps &&
          (coll < 0 || collEnd[c] > collEnd[coll]))
        coll = c;
    while (coll >= 0 && collStart[coll] > lastBack[coll] + eps) {
      // Queued behind the previous all-reduce on its device.
      int prev = -1;
      for (int c : devChunks[chunkDev[coll]])
        if (c != coll && std::fabs(collEnd[c] - collStart[coll]) <= eps)
          prev = c;
      if (prev < 0)
        break;
      coll = prev;
    }
    if (coll >= 0) {
      int k = split ? KW : KD;
      curDev = chunkDev[coll];
      curPos = lastPos[(size_t(coll) * M + lastBackMb[coll]) * 3 + k];
    }
  }

  auto logical = [&](const Block &b) {
    return int((size_t(b.chunk) * M + b.mb) * 3 + kindIndex(b.kind));
  };
  while (curDev >= 0 && curPos >= 0) {
    const Block &b = orders[curDev][curPos];
    double s = starts[curDev][curPos];
    double prevEnd = curPos > 0 ? endOf(curDev, curPos - 1) : 0.0;
    int k = kindIndex(b.kind);
    if (b.part > 0) {
      // Later parts are ready when the previous part ends; anything else
      // in between held this block up.
      const Block &p = orders[curDev][curPos - 1];
      if (!(p.chunk == b.chunk && p.mb == b.mb && p.kind == b.kind))
        out.push_back(logical(b));
      --curPos;
      continue;
    }
    const Times &x = times[size_t(b.chunk) * M + b.mb];
    double ready = k == KF   ? x.fArr
                   : k == KD ? std::max(x.fEnd, x.bArr)
                             : x.dEnd;
    if (ready < s - eps && curPos > 0 && std::fabs(prevEnd - s) <= eps) {
      out.push_back(logical(b));
      --curPos;
      continue;
    }
    // Data edge: follow the input that arrived last.
    int pc = -1, pk = -1;
    if (k == KF) {
      if (b.chunk > 0) {
        pc = b.chunk - 1;
        pk = KF;
      }
    } else if (k == KD) {
      if (b.chunk + 1 < C && x.bArr >= x.fEnd) {
        pc = b.chunk + 1;
        pk = KD;
      } else {
        pc = b.chunk;
        pk = KF;
      }
    } else {
      pc = b.chunk;
      pk = KD;
    }
    if (pc < 0)
      break;
    curDev = chunkDev[pc];
    curPos = lastPos[(size_t(pc) * M + b.mb) * 3 + pk];
  }
  // Each block once, latest first.
  std::vector<int> seen;
  seen.reserve(out.size());
  for (int id : out)
    if (std::find(seen.begin(), seen.end(), id) == seen.end())
      seen.push_back(id);
  out.swap(seen);
}
