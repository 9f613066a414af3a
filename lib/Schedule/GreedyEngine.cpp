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

GreedyEngine::GreedyEngine(const Problem &problem, int parts)
    : problem(problem), numChunks(problem.numChunks()),
      numMb(problem.numMicrobatches), numDev(problem.numDevices()),
      parts(parts), split(problem.splitBackward) {
  if (numDev <= 0) {
    error = "problem has no devices";
    return;
  }
  if (numChunks <= 0) {
    error = "problem has no chunks";
    return;
  }
  if (numMb <= 0) {
    error = "problem has no microbatches";
    return;
  }
  if (parts < 1) {
    error = "subBlocks must be at least 1";
    return;
  }
  int C = numChunks, P = numDev;
  chunkDev.resize(C);
  durPart.assign(size_t(C) * 3, 0.0);
  act.resize(C);
  devChunks.assign(P, {});
  footprint.assign(P, 0);
  cycle.assign(P, 0.0);
  for (int c = 0; c < C; ++c) {
    const Chunk &ch = problem.chunks[c];
    if (ch.device < 0 || ch.device >= P) {
      error = "chunk " + std::to_string(c) + " is placed on device " +
              std::to_string(ch.device) + ", outside 0.." +
              std::to_string(P - 1);
      return;
    }
    double back = split ? ch.dgradMs : ch.backwardMs;
    double w = split ? ch.wgradMs : 0.0;
    for (double v : {ch.forwardMs, back, w}) {
      if (!(v >= 0) || !std::isfinite(v)) {
        error = "chunk " + std::to_string(c) +
                " has a negative or non-finite block duration";
        return;
      }
    }
    chunkDev[c] = ch.device;
    durPart[c * 3 + KF] = ch.forwardMs / parts;
    durPart[c * 3 + KD] = back / parts;
    durPart[c * 3 + KW] = w / parts;
    act[c] = ch.activationBytes;
    devChunks[ch.device].push_back(c);
    footprint[ch.device] += ch.activationBytes;
    cycle[ch.device] += ch.forwardMs + back + w;
  }
  limit.resize(P);
  for (int d = 0; d < P; ++d) {
    limit[d] = problem.memoryLimit(d);
    if (footprint[d] > limit[d]) {
      error = "memory budget of device " + std::to_string(d) + " (" +
              std::to_string(limit[d]) +
              " bytes) cannot hold the activations of one microbatch (" +
              std::to_string(footprint[d]) + " bytes)";
      return;
    }
  }

  // Links of every chunk boundary, numbered densely.
  std::vector<LinkId> ids;
  auto linkIndex = [&](int src, int dst) {
    LinkId id = problem.linkBetween(src, dst);
    for (int i = 0, e = int(ids.size()); i < e; ++i)
      if (ids[i] == id)
        return i;
    ids.push_back(id);
    return int(ids.size()) - 1;
  };
  int B = std::max(C - 1, 0);
  fwdLink.assign(B, -1);
  bwdLink.assign(B, -1);
  fwdBw.assign(B, 0);
  fwdLat.assign(B, 0);
  bwdBw.assign(B, 0);
  bwdLat.assign(B, 0);
  fwdCross.assign(B, false);
  bwdCross.assign(B, false);
  for (int b = 0; b < B; ++b) {
    int s = chunkDev[b], t = chunkDev[b + 1];
    if (s == t)
      continue;
    uint64_t bytes = problem.chunks[b].messageBytes;
    fwdLink[b] = linkIndex(s, t);
    bwdLink[b] = linkIndex(t, s);
    if (const LinkCost *cost = problem.linkCost(s, t)) {
      fwdBw[b] = cost->bandwidthMs(bytes);
      fwdLat[b] = cost->latencyMs;
    }
    if (const LinkCost *cost = problem.linkCost(t, s)) {
      bwdBw[b] = cost->bandwidthMs(bytes);
      bwdLat[b] = cost->latencyMs;
    }
    fwdCross[b] = problem.linkBetween(s, t).crossDc;
    bwdCross[b] = problem.linkBetween(t, s).crossDc;
  }
  numLinks = int(ids.size());
  // A link fed by one device receives its messages in send order already
  // (a device's blocks are sequential), so those commit at once; only links
  // shared by several senders need the global queue ordered by send time.
  std::vector<int> source(numLinks, -1);
  sharedLink.assign(numLinks, false);
  for (int b = 0; b < B; ++b) {
    if (fwdLink[b] < 0)
      continue;
    for (auto [l, src] : {std::pair<int, int>{fwdLink[b], chunkDev[b]},
                          std::pair<int, int>{bwdLink[b], chunkDev[b + 1]}}) {
      if (source[l] >= 0 && source[l] != src)
        sharedLink[l] = true;
      source[l] = src;
    }
  }

  allreduce.resize(C);
  for (int c = 0; c < C; ++c)
    allreduce[c] = problem.allreduceMs(c);

  // Critical-path offsets of one isolated microbatch and round-trip windows.
  headMs.assign(size_t(C) * 3, 0.0);
  auto full = [&](int c, int k) { return durPart[c * 3 + k] * parts; };
  for (int c = 1; c < C; ++c)
    headMs[c * 3 + KF] = headMs[(c - 1) * 3 + KF] + full(c - 1, KF) +
                         fwdLat[c - 1] + fwdBw[c - 1];
  headMs[(C - 1) * 3 + KD] = headMs[(C - 1) * 3 + KF] + full(C - 1, KF);
  for (int c = C - 2; c >= 0; --c)
    headMs[c * 3 + KD] = std::max(headMs[c * 3 + KF] + full(c, KF),
                                  headMs[(c + 1) * 3 + KD] + full(c + 1, KD) +
                                      bwdLat[c] + bwdBw[c]);
  for (int c = 0; c < C; ++c)
    headMs[c * 3 + KW] = headMs[c * 3 + KD] + full(c, KD);
  window.assign(C, 0.0);
  for (int c = 0; c < C; ++c) {
    double rtt = headMs[c * 3 + KD] - headMs[c * 3 + KF];
    double cyc = cycle[chunkDev[c]];
    window[c] = cyc > 0 ? rtt / cyc : double(numMb);
  }

  wCap.assign(C, numMb);
  keep.assign(C, 0.0);
  for (int c = 0; c < C; ++c) {
    int d = chunkDev[c];
    keep[c] = std::max(double(C - c), std::ceil(window[c]));
    if (limit[d] == kUnlimited || act[c] == 0)
      continue;
    double slots = double(limit[d]) / double(std::max(act[c], footprint[d]));
    wCap[c] = int(std::max(0.0, std::floor(slots * devChunks[d].size()) -
                                    keep[c]));
  }

  // The period a microbatch costs the busiest resource: device work, the
  // memory slots its holding time needs, or link bandwidth.
  periodMs = 0;
  std::vector<double> memLoad(P, 0.0), linkLoad(numLinks, 0.0);
  for (int c = 0; c < C; ++c) {
    int d = chunkDev[c];
    if (limit[d] != kUnlimited && limit[d] > 0) {
      double hold = headMs[c * 3 + KW] + full(c, KW) - headMs[c * 3 + KF];
      if (!split)
        hold = headMs[c * 3 + KD] + full(c, KD) - headMs[c * 3 + KF];
      memLoad[d] += double(act[c]) * hold / double(limit[d]);
    }
  }
  for (int b = 0; b < B; ++b) {
    if (fwdLink[b] >= 0)
      linkLoad[fwdLink[b]] += fwdBw[b];
    if (bwdLink[b] >= 0)
      linkLoad[bwdLink[b]] += bwdBw[b];
  }
  for (int d = 0; d < P; ++d)
    periodMs = std::max({periodMs, cycle[d], memLoad[d]});
  for (double l : linkLoad)
    periodMs = std::max(periodMs, l);
  if (periodMs <= 0)
    periodMs = 1;

  size_t maxChunks = 0;
  for (const std::vector<int> &list : devChunks)
    maxChunks = std::max(maxChunks, list.size());
  cands.resize(maxChunks * 3);
  treeSize = 1;
  while (treeSize < P)
    treeSize *= 2;
}

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
  fStarted.assign(size_t(P) * M, 0);
  freed.assign(size_t(P) * M, 0);
  lo.assign(P, 0);
  remLo.assign(P, 0);
  admitted = 0;
  memVersion.assign(P, 0);
  feasVersion.assign(C, -1);
  feasValue.assign(C, 0);
  doneBack.assign(C, 0);
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
  int perMb = split ? 3 : 2;
  for (int d = 0; d < P; ++d) {
    size_t n = devChunks[d].size() * M * perMb * parts;
    order[d].clear();
    order[d].reserve(n);
    starts[d].clear();
    starts[d].reserve(n);
  }
  seq.clear();
  seq.reserve(size_t(C) * M * perMb * parts);
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
  if (feasVersion[c] == memVersion[d])
    return feasValue[c];
  bool ok = true;
  uint64_t h = held[d];
  if (h + a > cap) {
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
  if (part > 0) {
    ready = pred = devFree[d];
  } else {
    const Times &x = times[size_t(c) * numMb + m];
    if (k == KF) {
      ready = x.fArr;
      pred = Predicted && ready == kInf ? x.fPred : ready;
      if (pred != kInf && !fFeasible(d, c, m))
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

int GreedyEngine::gather(int d, bool predicted) {
  if (forced[d] >= 0) {
    int c = forced[d] / 3, k = forced[d] % 3;
    return (predicted ? slotCand<true>(d, c, k, cands[0])
                      : slotCand<false>(d, c, k, cands[0]))
               ? 1
               : 0;
  }
  int n = 0, kinds = split ? 3 : 2;
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

void GreedyEngine::pushMsg(double send, int src, int b, bool gradient,
                           int m) {
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
  double ready = k == KF ? x.fArr : std::max(x.fEnd, x.bArr);
  if (ready == kInf || (k == KF && !fFeasible(d, c, m)))
    return;
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
    double target = rule.warmupDepth ? keep[x.c]
                                     : rule.warmupWindowScale * window[x.c];
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
    s.key -= allreduce[x.c] * 1e3;
  return s;
}

bool GreedyEngine::schedule(const GreedyRule &rule, int d, double t, int n) {
  bool mayWait = rule.waitFraction > 0 || !boost.empty();
  int best = -1;
  Score bestScore;
  for (int i = 0; i < n; ++i) {
    if (cands[i].ready > t)
      continue;
    Score s = score(rule, d, cands[i]);
    if (best < 0 || s < bestScore) {
      best = i;
      bestScore = s;
    }
  }
  if (mayWait && forced[d] < 0) {
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
    if (wait >= 0) {
      forced[d] = cands[wait].c * 3 + cands[wait].kind;
      updateTree(d, computeKey(d));
      return false;
    }
  }
  forced[d] = -1;
  const Cand x = cands[best];
  int M = numMb, c = x.c, m = x.m, k = x.kind;
  double end = t + durPart[c * 3 + k];
  devFree[d] = end;
  ++memVersion[d];
  BlockKind kind = k == KF ? BlockKind::F
                   : k == KW ? BlockKind::W
                   : split   ? BlockKind::D
                             : BlockKind::B;
  if (x.part + 1 == parts)
    lastPos[(size_t(c) * M + m) * 3 + k] = int(order[d].size());
  order[d].push_back(Block{kind, c, m, x.part, parts});
  starts[d].push_back(t);
  seq.push_back(d);
  if (k == KF && x.part == 0) {
    held[d] += act[c];
    fStarted[size_t(d) * M + m] += act[c];
    if (c == 0 && m == admitted)
      ++admitted;
    while (remLo[d] < M && fStarted[size_t(d) * M + remLo[d]] >= footprint[d])
      ++remLo[d];
    if (d == 0 && firstF0 == kInf)
      firstF0 = t;
  }
  bool last = x.part + 1 == parts;
  nextPart[c * 3 + k] = last ? 0 : x.part + 1;
  if (last) {
    ++nextMb[c * 3 + k];
    if (k == KF) {
      times[size_t(c) * M + m].fEnd = end;
      if (c + 1 < numChunks) {
        if (chunkDev[c + 1] == d)
          times[size_t(c + 1) * M + m].fArr = end;
        else
          pushMsg(end, d, c, /*gradient=*/false, m);
      }
    } else if (k == KD) {
      times[size_t(c) * M + m].dEnd = end;
      if (c > 0) {
        if (chunkDev[c - 1] == d)
          times[size_t(c - 1) * M + m].bArr = end;
        else
          pushMsg(end, d, c - 1, /*gradient=*/true, m);
      }
    }
    if (k == KW || (k == KD && !split)) {
      held[d] -= act[c];
      freed[size_t(d) * M + m] += act[c];
      ++doneBack[c];
      if (end >= lastBack[c]) {
        lastBack[c] = end;
        lastBackMb[c] = m;
      }
      while (lo[d] < admitted && freed[size_t(d) * M + lo[d]] >= footprint[d])
        ++lo[d];
    }
  }
  // The device's key is at least its free time; the real key is computed
  // when it comes up, with the same gather that then picks its next block.
  dirty[d] = true;
  updateTree(d, end);
  return true;
}

EngineResult GreedyEngine::run(const GreedyRule &rule) {
  EngineResult result;
  if (!error.empty()) {
    result.error = error;
    return result;
  }
  reset();
  for (int d = 0; d < numDev; ++d)
    updateTree(d, computeKey(d));
  dirty.assign(numDev, false);
  size_t total = size_t(numChunks) * numMb * (split ? 3 : 2) * parts;
  lastEnd = 0;
  sumEnd = 0;
  for (size_t done = 0; done < total;) {
    double t = treeKey[1];
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
    }
  }

  // DP all-reduces: FIFO per device by ready time, ties to the lower chunk.
  collStart.assign(numChunks, 0.0);
  collEnd.assign(numChunks, 0.0);
  if (problem.dpDegree > 1) {
    for (int d = 0; d < numDev; ++d) {
      std::vector<std::pair<double, int>> ready;
      for (int c : devChunks[d])
        ready.push_back({lastBack[c], c});
      std::sort(ready.begin(), ready.end());
      double commFree = 0;
      for (auto &[r, c] : ready) {
        collStart[c] = std::max(commFree, r);
        collEnd[c] = commFree = collStart[c] + allreduce[c];
        lastEnd = std::max(lastEnd, commFree);
      }
    }
  }
  result.ok = true;
  result.makespanMs = lastEnd - (firstF0 == kInf ? 0.0 : firstF0);
  result.sumEndMs = sumEnd;
  result.schedule.algorithm = "greedy:" + rule.name;
  result.schedule.order = std::move(order);
  return result;
}

