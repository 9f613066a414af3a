//===- GreedyEngine.cpp - Event-driven core of the greedy scheduler -------===//
//
// One pass of the list scheduler. The loop always either commits the pending
// message with the earliest send time onto its link or starts a block on the
// device with the earliest schedulable time, whichever comes first; start
// times therefore never decrease, so a message is committed only after every
// message sent before it, which is what makes the link queues (and thus all
// times) identical to the simulator's. Memory uses a banker's check: an F may
// start only if afterwards the in-flight microbatches, taken oldest first,
// could each still acquire all the activations they will need.
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

static constexpr double kInf = std::numeric_limits<double>::infinity();

void GreedyEngine::reset() {
  int C = numChunks, M = numMb, P = numDev;
  nextMb.assign(size_t(C) * 3, 0);
  nextPart.assign(size_t(C) * 3, 0);
  times.assign(size_t(C) * M, Times());
  forced.assign(P, -1);
  for (int m = 0; m < M; ++m) {
    times[m].fArr = 0.0;
    times[size_t(C - 1) * M + m].bArr = 0.0;
  }
  devFree.assign(P, 0.0);
  held.assign(P, 0);
  heldChunk.assign(C, 0);
  fStarted.assign(size_t(P) * M, 0);
  freed.assign(size_t(P) * M, 0);
  lo.assign(P, 0);
  remLo.assign(P, 0);
  admitted = 0;
  memVersion.assign(P, 0);
  feasVersion.assign(C, -1);
  feasValue.assign(C, 0);
  lastBack.assign(C, 0.0);
  lastBackMb.assign(C, 0);
  lastPos.assign(size_t(C) * M * 3, -1);
  linkFree.assign(numLinks, 0.0);
  heap.clear();
  msgSeq = 0;
  firstF0 = kInf;
  treeKey.assign(size_t(2) * treeSize, kInf);
  treeDev.assign(size_t(2) * treeSize, std::numeric_limits<int>::max());
  order.resize(P);
  starts.resize(P);
  int perMb = graph.kindsPerChunk();
  for (int d = 0; d < P; ++d) {
    size_t n = devChunks[d].size() * M * perMb * parts;
    order[d].clear();
    order[d].reserve(n);
    starts[d].clear();
    starts[d].reserve(n);
  }
}

void GreedyEngine::updateTree(int d, double key) {
  int i = treeSize + d;
  treeKey[i] = key;
  treeDev[i] = d;
  for (i /= 2; i >= 1; i /= 2) {
    int l = 2 * i, r = l + 1;
    // Ties go to the lower device, which sits in the left subtree.
    int w = treeKey[r] < treeKey[l] ? r : l;
    treeKey[i] = treeKey[w];
    treeDev[i] = treeDev[w];
  }
}

bool GreedyEngine::fFeasible(int d, int c, int m) {
  uint64_t a = act[c], cap = limit[d];
  if (cap == kUnlimited || a == 0)
    return true;
  // Room for one recompute backward block's transient; checkProblem made
  // sure the limit holds it and one microbatch.
  cap = cap > transient[d] ? cap - transient[d] : 0;
  if (feasVersion[c] == memVersion[d])
    return feasValue[c];
  bool ok = true;
  uint64_t h = held[d];
  if (h + a > cap || heldChunk[c] + a > chunkCap[c]) {
    ok = false;
  } else if (reserve > 0 && h > 0 && fStarted[size_t(d) * numMb + m] == 0 &&
             double(h + a) + reserve * double(footprint[d] - a) > double(cap)) {
    ok = false;
  } else if (remLo[d] < m && h + a + footprint[d] > cap) {
    // Banker's check, oldest in-flight microbatch first: microbatch k < m
    // must still find its remaining activations free once all older ones are
    // done, i.e. rem(k) + (held by k and younger) + a <= cap. Only k that
    // have not started all their F here (k >= remLo) can have rem(k) > 0.
    const uint64_t *fs = &fStarted[size_t(d) * numMb];
    const uint64_t *fr = &freed[size_t(d) * numMb];
    uint64_t older = 0;
    for (int k = lo[d]; k < remLo[d]; ++k)
      older += fs[k] - fr[k];
    for (int k = remLo[d]; k < m; ++k) {
      if (footprint[d] - fs[k] + (h - older) + a > cap) {
        ok = false;
        break;
      }
      older += fs[k] - fr[k];
    }
  }
  feasVersion[c] = memVersion[d];
  feasValue[c] = ok;
  return ok;
}

template <bool Predicted>
inline bool GreedyEngine::slotCand(int d, int c, int k, Cand &out) {
  int m = nextMb[c * 3 + k];
  if (m >= numMb)
    return false;
  int part = nextPart[c * 3 + k];
  double ready, pred;
  // BlockGraph::inputsOf, hand-coded on the hot path: F waits for the
  // previous chunk's F (fArr), B/D for its F and the next chunk's (bArr),
  // W for its D.
  if (part > 0) {
    ready = pred = devFree[d];
  } else {
    const Times &x = times[size_t(c) * numMb + m];
    if (k == KF) {
      ready = std::max(x.fArr, gatherEnd[c]);
      pred =
          Predicted && ready == kInf ? std::max(x.fPred, gatherEnd[c]) : ready;
      if (pred != kInf && !replaying(d) && !fFeasible(d, c, m))
        ready = pred = kInf;
      if (window_ > 0 && !replaying(d) && c + 1 < numChunks && fwdBw[c] > 0 &&
          m - nextMb[devChunks[d].back() * 3 + KD] >= window_)
        ready = pred = kInf;
    } else if (k == KD) {
      ready = std::max(x.fEnd, x.bArr);
      pred = Predicted && x.bArr == kInf ? std::max(x.fEnd, x.bPred) : ready;
    } else {
      ready = pred = x.dEnd;
    }
  }
  out.kind = k;
  out.c = c;
  out.m = m;
  out.part = part;
  out.ready = ready;
  out.pred = pred;
  return (Predicted ? pred : ready) != kInf;
}

bool GreedyEngine::replayCand(int d, bool predicted) {
  const std::vector<Block> &list = (*fixed)[d];
  int i = fixedPos[d];
  if (i >= int(list.size()))
    return false;
  const Block &b = list[i];
  int k = BlockGraph::slotOf(b.kind);
  if (b.parts != parts || b.chunk < 0 || b.chunk >= numChunks ||
      chunkDev[b.chunk] != d || nextMb[b.chunk * 3 + k] != b.mb ||
      nextPart[b.chunk * 3 + k] != b.part)
    return false; // Not of the form replay() times; reported as a stall.
  return predicted ? slotCand<true>(d, b.chunk, k, cands[0])
                   : slotCand<false>(d, b.chunk, k, cands[0]);
}

int GreedyEngine::gather(int d, bool predicted) {
  if (replaying(d))
    return replayCand(d, predicted) ? 1 : 0;
  if (forced[d] >= 0) {
    int c = forced[d] / 3, k = forced[d] % 3;
    return (predicted ? slotCand<true>(d, c, k, cands[0])
                      : slotCand<false>(d, c, k, cands[0]))
               ? 1
               : 0;
  }
  int n = 0, kinds = graph.kindsPerChunk();
  for (int c : devChunks[d])
    for (int k = 0; k < kinds; ++k)
      n += predicted ? slotCand<true>(d, c, k, cands[n])
                     : slotCand<false>(d, c, k, cands[n]);
  return n;
}

double GreedyEngine::computeKey(int d) {
  int n = gather(d, /*predicted=*/false);
  double best = kInf;
  for (int i = 0; i < n; ++i)
    best = std::min(best, cands[i].ready);
  return best == kInf ? kInf : std::max(best, devFree[d]);
}

void GreedyEngine::pushMsg(double send, int src, int b, bool gradient, int m) {
  Msg msg;
  msg.send = send;
  msg.src = src;
  msg.seq = msgSeq++;
  msg.gradient = gradient;
  if (gradient) {
    msg.link = bwdLink[b];
    msg.bwMs = bwdBw[b];
    msg.latMs = bwdLat[b];
    msg.target = b * numMb + m;
    msg.dstDevice = chunkDev[b];
  } else {
    msg.link = fwdLink[b];
    msg.bwMs = fwdBw[b];
    msg.latMs = fwdLat[b];
    msg.target = (b + 1) * numMb + m;
    msg.dstDevice = chunkDev[b + 1];
  }
  // A lower bound of the arrival: the queue may still grow before it.
  double bound = std::max(send, linkFree[msg.link]) + msg.bwMs + msg.latMs;
  Times &x = times[msg.target];
  (gradient ? x.bPred : x.fPred) = bound;
  if (!sharedLink[msg.link]) {
    commit(msg);
    return;
  }
  heap.push_back(msg);
  std::push_heap(heap.begin(), heap.end(), MsgLater());
}

void GreedyEngine::commit(const Msg &msg) {
  double start = std::max(msg.send, linkFree[msg.link]);
  double end = start + msg.bwMs;
  linkFree[msg.link] = end;
  Times &x = times[msg.target];
  (msg.gradient ? x.bArr : x.fArr) = end + msg.latMs;
  int c = msg.target / numMb, m = msg.target % numMb;
  onArrival(msg.dstDevice, msg.gradient ? KD : KF, c, m);
}

void GreedyEngine::onArrival(int d, int k, int c, int m) {
  // Only the current candidate of (c, k) can lower the device's key; later
  // microbatches are looked at when they become current.
  if (nextMb[c * 3 + k] != m || nextPart[c * 3 + k] != 0)
    return;
  if (dirty[d] || (forced[d] >= 0 && forced[d] != c * 3 + k))
    return; // A dirty key is a lower bound that stays valid.
  const Times &x = times[size_t(c) * numMb + m];
  // BlockGraph::inputsOf, hand-coded on the hot path (as in slotCand).
  double ready =
      k == KF ? std::max(x.fArr, gatherEnd[c]) : std::max(x.fEnd, x.bArr);
  if (ready == kInf || (k == KF && !replaying(d) && !fFeasible(d, c, m)))
    return;
  if (replaying(d) && (fixedPos[d] >= int((*fixed)[d].size()) ||
                       (*fixed)[d][fixedPos[d]].chunk != c ||
                       BlockGraph::slotOf((*fixed)[d][fixedPos[d]].kind) != k))
    return; // Not the device's next block.
  double key = std::max(devFree[d], ready);
  if (key < treeKey[treeSize + d])
    updateTree(d, key);
}

GreedyEngine::Score GreedyEngine::score(const GreedyRule &rule, int d,
                                        const Cand &x) const {
  int C = numChunks;
  Score s;
  s.cls = rule.rank[x.kind];
  if (x.kind == KF && (rule.warmupWindowScale > 0 || rule.warmupDepth)) {
    int inFlight = nextMb[x.c * 3 + KF] - nextMb[x.c * 3 + KD];
    double target =
        rule.warmupDepth ? keep[x.c] : rule.warmupWindowScale * window[x.c];
    if (inFlight < target)
      s.cls = std::min(s.cls, rule.rank[KD] - 0.5);
  }
  if (x.kind == KW && rule.capDeferredW &&
      nextMb[x.c * 3 + KD] - x.m > wCap[x.c])
    s.cls = -1;
  if (x.kind == KW && rule.wBeforeFMemory > 0 && limit[d] != kUnlimited) {
    double free = double(limit[d] - held[d]);
    if (free < rule.wBeforeFMemory * double(act[x.c]) + double(act[x.c]))
      s.cls = std::min(s.cls, rule.rank[KF] - 0.25);
  }
  if (rule.preferCrossDc) {
    bool cross = (x.kind == KF && x.c + 1 < C && fwdCross[x.c]) ||
                 (x.kind == KD && x.c > 0 && bwdCross[x.c - 1]);
    if (cross)
      s.cls -= 0.125;
  }
  if (!boost.empty())
    s.cls -= kBoostClasses * boost[(size_t(x.c) * numMb + x.m) * 3 + x.kind];
  if (rule.tie == TieMode::DueDate) {
    s.key = x.m * periodMs + headMs[x.c * 3 + x.kind];
    if (x.kind == KW)
      s.key += rule.wSlackPeriods * periodMs;
  } else {
    s.key = double(x.m) * C + (C - 1 - x.c);
  }
  if (rule.preferCostlyAllreduce && (x.kind == KW || !split))
    s.key -= allreduce[x.c] * buckets * 1e3;
  return s;
}

int GreedyEngine::pickReady(const GreedyRule &rule, int d, double t, int n,
                            Score &bestScore) const {
  int best = -1;
  for (int i = 0; i < n; ++i) {
    if (cands[i].ready > t)
      continue;
    Score s = score(rule, d, cands[i]);
    if (best < 0 || s < bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}

bool GreedyEngine::waitForBetter(const GreedyRule &rule, int d, double t, int n,
                                 int best, const Score &bestScore) {
  // Would the chosen block hold up a better one that is already on its
  // way? Then wait for that one instead. Promoted blocks are waited for
  // whenever the chosen block would still be running when they arrive.
  double bestDur = durPart[cands[best].c * 3 + cands[best].kind];
  int wait = -1;
  Score waitScore = bestScore;
  for (int i = 0; i < n; ++i) {
    const Cand &y = cands[i];
    bool promoted =
        !boost.empty() && boost[(size_t(y.c) * numMb + y.m) * 3 + y.kind] > 0;
    double horizon = t + (promoted ? 1.0 : rule.waitFraction) * bestDur;
    if (y.ready <= t || y.pred >= horizon)
      continue;
    Score s = score(rule, d, cands[i]);
    if (s < waitScore) {
      wait = i;
      waitScore = s;
    }
  }
  if (wait < 0)
    return false;
  forced[d] = cands[wait].c * 3 + cands[wait].kind;
  updateTree(d, computeKey(d));
  return true;
}

bool GreedyEngine::schedule(const GreedyRule &rule, int d, double t, int n) {
  bool mayWait = rule.waitFraction > 0 || !boost.empty();
  Score bestScore;
  int best = pickReady(rule, d, t, n, bestScore);
  if (best < 0) {
    // Nothing ready at t after all (the key was stale): look again.
    updateTree(d, computeKey(d));
    return false;
  }
  if (mayWait && !replaying(d) && forced[d] < 0 &&
      waitForBetter(rule, d, t, n, best, bestScore))
    return false;
  forced[d] = -1;
  const Cand &x = cands[best];
  start(d, t, x.c, x.kind, x.m, x.part);
  return true;
}

void GreedyEngine::start(int d, double t, int c, int k, int m, int part) {
  int M = numMb;
  double end = t + durPart[c * 3 + k];
  devFree[d] = end;
  ++memVersion[d];
  bool last = part + 1 == parts;
  if (last)
    lastPos[(size_t(c) * M + m) * 3 + k] = int(order[d].size());
  order[d].push_back(Block{graph.kindOfSlot(k), c, m, part, parts});
  if (fixed)
    ++fixedPos[d];
  starts[d].push_back(t);
  // F's first part reserves its chunk's whole activation (its parts
  // allocate it slice by slice); every backward part gives back its share
  // when it ends, which no block of this device can start before.
  if (k == KF && part == 0) {
    held[d] += act[c];
    heldChunk[c] += act[c];
    fStarted[size_t(d) * M + m] += act[c];
    if (c == 0 && m == admitted)
      ++admitted;
    while (remLo[d] < M && fStarted[size_t(d) * M + remLo[d]] >= footprint[d])
      ++remLo[d];
    if (d == 0 && firstF0 == kInf)
      firstF0 = t;
  } else if (uint64_t bytes = partFree[(size_t(c) * 3 + k) * parts + part]) {
    held[d] -= bytes;
    heldChunk[c] -= bytes;
    freed[size_t(d) * M + m] += bytes;
    while (lo[d] < admitted && freed[size_t(d) * M + lo[d]] >= footprint[d])
      ++lo[d];
  }
  nextPart[c * 3 + k] = last ? 0 : part + 1;
  // A recompute backward block holds its transient until its last part:
  // no other block of this device may start one meanwhile.
  if (!last && k == KD && recomputes[c] && !fixed)
    forced[d] = c * 3 + k;
  if (last)
    finish(d, c, k, m, end);
  // The device's key is at least its free time; the real key is computed
  // when it comes up, with the same gather that then picks its next block.
  dirty[d] = true;
  updateTree(d, end);
}

void GreedyEngine::finish(int d, int c, int k, int m, double end) {
  int M = numMb;
  ++nextMb[c * 3 + k];
  // The ends that blocks of the same chunk read (F's for its backward, D's
  // for its W), then the messages to the other chunks.
  if (k == KF)
    times[size_t(c) * M + m].fEnd = end;
  else if (k == KD)
    times[size_t(c) * M + m].dEnd = end;
  BlockKind kind = graph.kindOfSlot(k);
  deliver(d, {kind, c}, m, end);
  if (kind == graph.releaseKind() && end >= lastBack[c]) {
    lastBack[c] = end;
    lastBackMb[c] = m;
  }
}

void GreedyEngine::deliver(int d, Step from, int m, double end) {
  // BlockGraph::outputsOf's cross-stage edges (F to F of c + 1, B/D to that
  // of c - 1), hand-coded: the generic loop costs 2% of the greedy's time.
  int c = from.chunk, M = numMb;
  if (from.kind == BlockKind::F) {
    if (c + 1 < numChunks) {
      if (chunkDev[c + 1] == d)
        times[size_t(c + 1) * M + m].fArr = end;
      else
        pushMsg(end, d, c, /*gradient=*/false, m);
    }
  } else if (from.kind != BlockKind::W) {
    if (c > 0) {
      if (chunkDev[c - 1] == d)
        times[size_t(c - 1) * M + m].bArr = end;
      else
        pushMsg(end, d, c - 1, /*gradient=*/true, m);
    }
  }
}

void GreedyEngine::capChunks(const GreedyRule &rule) {
  chunkCap.assign(numChunks, kUnlimited);
  for (int c = 0; c < numChunks; ++c) {
    if (rule.memoryShares)
      chunkCap[c] = share[c];
    int d = chunkDev[c];
    if (rule.quotaExtra < 0 || devChunks[d].size() < 2 ||
        devChunks[d].front() != c || limit[d] == kUnlimited || act[c] == 0)
      continue;
    // An even split of the device's activation slots among its chunks,
    // plus the extra slots the first chunk's long-lived activations get.
    uint64_t slots = limit[d] / act[c];
    uint64_t quota = slots / devChunks[d].size() + uint64_t(rule.quotaExtra);
    quota = std::max<uint64_t>(1, std::min(quota, slots));
    chunkCap[c] = std::min(chunkCap[c], quota * act[c]);
  }
}

EngineResult GreedyEngine::run(const GreedyRule &rule, double cutoffMs) {
  EngineResult result;
  if (!error.empty()) {
    result.error = error;
    return result;
  }
  reset();
  reserve = rule.admitReserve;
  window_ =
      fixed && !prefixOnly ? 0 : int(std::ceil(rule.crossWindow * numDev));
  capChunks(rule);
  for (int d = 0; d < numDev; ++d)
    updateTree(d, computeKey(d));
  dirty.assign(numDev, false);
  size_t total = size_t(numChunks) * numMb * graph.kindsPerChunk() * parts;
  lastEnd = 0;
  sumEnd = 0;
  for (size_t done = 0; done < total;) {
    double t = treeKey[1];
    // Every message sent by t is queued before any device starts at t, so
    // the devices see what arrives right then. With blocks of positive
    // duration all messages sent at t exist by now, which makes the link
    // order the simulator's; a zero-duration block started at t may send at
    // t after an equal-time message of a higher device went first, which
    // the simulator can order the other way (see Greedy.cpp).
    if (!heap.empty() && heap.front().send <= t) {
      std::pop_heap(heap.begin(), heap.end(), MsgLater());
      Msg msg = heap.back();
      heap.pop_back();
      commit(msg);
      continue;
    }
    if (t == kInf) {
      // Unreachable by the banker's check; reported rather than looping.
      result.error = "greedy rule '" + rule.name + "' stalled after " +
                     std::to_string(done) + " of " + std::to_string(total) +
                     " blocks";
      return result;
    }
    int d = treeDev[1];
    int n = gather(d, /*predicted=*/rule.waitFraction > 0 || !boost.empty());
    if (dirty[d]) {
      dirty[d] = false;
      double ready = kInf;
      for (int i = 0; i < n; ++i)
        ready = std::min(ready, cands[i].ready);
      double key = ready == kInf ? kInf : std::max(ready, devFree[d]);
      if (key > t) {
        updateTree(d, key);
        continue;
      }
    }
    if (schedule(rule, d, t, n)) {
      lastEnd = std::max(lastEnd, devFree[d]);
      sumEnd += devFree[d];
      ++done;
      // The makespan is at least lastEnd - firstF0 (its origin is at most
      // firstF0), and lastEnd only grows.
      if (lastEnd - firstF0 > cutoffMs) {
        result.error = "cut off";
        return result;
      }
    }
  }

  double origin = timeCollectives();
  result.ok = true;
  result.makespanMs =
      lastEnd - std::min(origin, firstF0 == kInf ? 0.0 : firstF0);
  result.sumEndMs = sumEnd;
  result.schedule.algorithm = "greedy:" + rule.name;
  result.schedule.order = std::move(order);
  return result;
}

EngineResult GreedyEngine::runFrom(const GreedyRule &rule,
                                   const Schedule &prefix, double cutoffMs) {
  if (int(prefix.order.size()) != numDev) {
    EngineResult result;
    result.error = "runFrom: the prefix has no order for some device";
    return result;
  }
  fixed = &prefix.order;
  prefixOnly = true;
  fixedPos.assign(numDev, 0);
  EngineResult result = run(rule, cutoffMs);
  fixed = nullptr;
  prefixOnly = false;
  return result;
}

EngineResult GreedyEngine::replay(Schedule schedule, double cutoffMs) {
  EngineResult result;
  size_t total = 0;
  for (const std::vector<Block> &list : schedule.order)
    total += list.size();
  if (int(schedule.order.size()) != numDev ||
      total != size_t(numChunks) * numMb * graph.kindsPerChunk() * parts) {
    result.error = "replay: not a complete schedule of this problem";
    result.schedule = std::move(schedule);
    return result;
  }
  std::vector<float> saved = std::move(boost);
  boost.clear();
  fixed = &schedule.order;
  fixedPos.assign(numDev, 0);
  result = run(GreedyRule(), cutoffMs);
  fixed = nullptr;
  boost = std::move(saved);
  if (result.ok)
    result.schedule.algorithm = schedule.algorithm;
  else
    result.schedule = std::move(schedule);
  return result;
}
