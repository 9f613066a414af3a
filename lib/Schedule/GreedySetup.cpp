//===- GreedySetup.cpp - What the greedy knows of a problem up front ------===//
//
// Everything about a problem that no run of the greedy changes, computed once
// and shared by every rule: per-part block durations, the link and alpha-beta
// cost of every chunk boundary, memory footprints and budgets, the
// critical-path offsets of one isolated microbatch (along BlockGraph's
// edges), each chunk's round-trip window, the microbatches it must keep in
// flight and the W it may defer, and the period of the pacing resource that
// due dates are spaced by. A problem that sched::validate() or
// sched::validateMemoryBudget() rejects sets the setup error instead.
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

GreedyEngine::GreedyEngine(const Problem &problem, int parts)
    : problem(problem), graph(problem), numChunks(problem.numChunks()),
      numMb(problem.numMicrobatches), numDev(problem.numDevices()),
      parts(parts), split(problem.splitBackward) {
  error = checkProblem(problem, parts);
  if (!error.empty())
    return;
  setupChunks();
  setupLinks();
  markSharedLinks();
  setupCollectives();
  setupCriticalPath();
  setupInFlight();
  setupPacing();
  size_t maxChunks = 0;
  for (const std::vector<int> &list : devChunks)
    maxChunks = std::max(maxChunks, list.size());
  cands.resize(maxChunks * 3);
  treeSize = 1;
  while (treeSize < numDev)
    treeSize *= 2;
}

std::string GreedyEngine::checkProblem(const Problem &problem, int parts) {
  if (std::string why = validate(problem); !why.empty())
    return why;
  // The banker's check needs room for one whole microbatch per device.
  if (std::string why = validateMemoryBudget(problem); !why.empty())
    return why;
  if (parts < 1)
    return "subBlocks must be at least 1";
  return "";
}

void GreedyEngine::setupChunks() {
  int C = numChunks, P = numDev;
  chunkDev.resize(C);
  durPart.assign(size_t(C) * 3, 0.0);
  devChunks.assign(P, {});
  cycle.assign(P, 0.0);
  for (int c = 0; c < C; ++c) {
    const Chunk &ch = problem.chunks[c];
    double f = wholeBlockMs(problem, c, BlockKind::F);
    double back = wholeBlockMs(problem, c, graph.backwardKind());
    double w = split ? wholeBlockMs(problem, c, BlockKind::W) : 0.0;
    chunkDev[c] = ch.device;
    durPart[c * 3 + KF] = f / parts;
    durPart[c * 3 + KD] = back / parts;
    durPart[c * 3 + KW] = w / parts;
    devChunks[ch.device].push_back(c);
    cycle[ch.device] += f + back + w;
  }
  limit.resize(P);
  for (int d = 0; d < P; ++d)
    limit[d] = problem.memoryLimit(d);
  setupMemory();
}

void GreedyEngine::setupMemory() {
  // Admission reserves, when an F's first part starts, the most its
  // microbatch holds outside the chunk's backward block (the activation, or
  // with recomputation the larger of the checkpoint and what W keeps; F
  // parts allocate it slice by slice, so the reservation never holds less
  // than the device does); every backward part gives its share of the
  // reservation back when it ends, as sched::memoryEffect frees the
  // activation. A recompute backward block holds up to activation -
  // reservation more while it runs; the device runs one block at a time
  // and one such block at a time (start() keeps its parts together), so
  // admission leaves room for the largest of those transients.
  int C = numChunks, P = numDev;
  act.assign(C, 0);
  wHeld.assign(C, 0);
  partFree.assign(size_t(C) * 3 * parts, 0);
  footprint.assign(P, 0);
  transient.assign(P, 0);
  recomputes.assign(C, false);
  for (int c = 0; c < C; ++c) {
    ChunkMemory mem = chunkMemory(problem, c);
    uint64_t reserved = mem.outsideBackwardBytes();
    act[c] = reserved;
    wHeld[c] = mem.wgradBytes;
    recomputes[c] = mem.recomputeBytes() > 0;
    for (int part = 0; part < parts; ++part) {
      int reversed = parts - 1 - part;
      uint64_t slice = sliceBytes(reserved, parts, reversed);
      uint64_t wSlice = sliceBytes(mem.wgradBytes, parts, reversed);
      partFree[(size_t(c) * 3 + KD) * parts + part] = slice - wSlice;
      partFree[(size_t(c) * 3 + KW) * parts + part] = wSlice;
    }
    footprint[chunkDev[c]] += act[c];
    transient[chunkDev[c]] =
        std::max(transient[chunkDev[c]], mem.activationBytes - reserved);
  }
}

void GreedyEngine::setupLinks() {
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
  int B = std::max(numChunks - 1, 0);
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
}

void GreedyEngine::markSharedLinks() {
  // A link fed by one device receives its messages in send order already
  // (a device's blocks are sequential), so those commit at once; only links
  // shared by several senders need the global queue ordered by send time.
  std::vector<int> source(numLinks, -1);
  sharedLink.assign(numLinks, false);
  for (int b = 0, e = int(fwdLink.size()); b < e; ++b) {
    if (fwdLink[b] < 0)
      continue;
    for (auto [l, src] : {std::pair<int, int>{fwdLink[b], chunkDev[b]},
                          std::pair<int, int>{bwdLink[b], chunkDev[b + 1]}}) {
      if (source[l] >= 0 && source[l] != src)
        sharedLink[l] = true;
      source[l] = src;
    }
  }
}

void GreedyEngine::setupCollectives() {
  // DP: one gradient collective per chunk and bucket (a reduce-scatter under
  // ZeRO-1, else an all-reduce), and under ZeRO-1 the parameter all-gathers
  // first on every device's communication resource, in chunk order, holding
  // back each chunk's forwards. validate() has checked that all are finite.
  bool dp = problem.dpDegree > 1;
  buckets = dp ? problem.dpBuckets : 1;
  zero1 = dp && problem.zero1;
  CollectiveKind reduce =
      zero1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  allreduce.resize(numChunks);
  gatherEnd.assign(numChunks, 0.0);
  std::vector<double> gathered(numDev, 0.0);
  for (int c = 0; c < numChunks; ++c) {
    allreduce[c] = problem.collectiveMs(c, reduce);
    double gather =
        zero1 ? problem.collectiveMs(c, CollectiveKind::AllGather) : 0.0;
    gatherEnd[c] = gathered[chunkDev[c]] += gather;
  }
}

double GreedyEngine::headOf(Step s) const {
  double head = 0;
  for (Step in : graph.inputsOf(s)) {
    double at = headMs[in.chunk * 3 + BlockGraph::slotOf(in.kind)] +
                fullMs(in.chunk, BlockGraph::slotOf(in.kind));
    if (BlockGraph::crossesStages(in, s)) {
      int b = BlockGraph::boundaryOf(in, s);
      bool gradient = BlockGraph::isGradient(in);
      // Added one at a time, in this order, as the offsets always were.
      at += gradient ? bwdLat[b] : fwdLat[b];
      at += gradient ? bwdBw[b] : fwdBw[b];
    }
    head = std::max(head, at);
  }
  return head;
}

void GreedyEngine::setupCriticalPath() {
  // Critical-path offsets of one isolated microbatch, each step after its
  // inputs: the forwards up the chunks, the backwards down, then the W
  // (whose offsets a fused problem computes too and never reads).
  int C = numChunks;
  headMs.assign(size_t(C) * 3, 0.0);
  for (int c = 0; c < C; ++c)
    headMs[c * 3 + KF] = headOf({BlockKind::F, c});
  for (int c = C - 1; c >= 0; --c)
    headMs[c * 3 + KD] = headOf({graph.backwardKind(), c});
  for (int c = 0; c < C; ++c)
    headMs[c * 3 + KW] = headOf({BlockKind::W, c});
  // Round-trip windows.
  window.assign(C, 0.0);
  for (int c = 0; c < C; ++c) {
    double rtt = headMs[c * 3 + KD] - headMs[c * 3 + KF];
    double cyc = cycle[chunkDev[c]];
    window[c] = cyc > 0 ? rtt / cyc : double(numMb);
  }
}

void GreedyEngine::setupInFlight() {
  int C = numChunks;
  wCap.assign(C, numMb);
  keep.assign(C, 0.0);
  for (int c = 0; c < C; ++c) {
    int d = chunkDev[c];
    keep[c] = std::max(double(C - c), std::ceil(window[c]));
    if (limit[d] == kUnlimited || act[c] == 0)
      continue;
    double slots = double(limit[d]) / double(std::max(act[c], footprint[d]));
    double cap = std::floor(slots * devChunks[d].size()) - keep[c];
    // A deferred W holds only what W needs: the room left beyond the
    // microbatches in flight, in activations, holds act / wHeld times as
    // many of them.
    if (wHeld[c] == 0)
      cap = numMb;
    else if (wHeld[c] < act[c])
      cap = std::floor((slots * devChunks[d].size() - keep[c]) *
                       double(act[c]) / double(wHeld[c]));
    wCap[c] = int(std::min(double(numMb), std::max(0.0, cap)));
  }
}

void GreedyEngine::setupPacing() {
  // The period a microbatch costs the busiest resource: device work, the
  // memory slots its holding time needs, or link bandwidth.
  int C = numChunks, P = numDev;
  periodMs = 0;
  std::vector<double> memLoad(P, 0.0), linkLoad(numLinks, 0.0);
  std::vector<double> holdLoad(C, 0.0), devHoldLoad(P, 0.0);
  for (int c = 0; c < C; ++c) {
    int d = chunkDev[c];
    if (limit[d] != kUnlimited && limit[d] > 0) {
      // Memory-time of one isolated microbatch: the activation until its
      // backward ends, what W needs until W ends.
      double toBackward =
          headMs[c * 3 + KD] + fullMs(c, KD) - headMs[c * 3 + KF];
      double toW = headMs[c * 3 + KW] + fullMs(c, KW) - headMs[c * 3 + KF];
      double load = double(act[c] - wHeld[c]) * toBackward;
      if (split)
        load += double(wHeld[c]) * toW;
      memLoad[d] += load / double(limit[d]);
      holdLoad[c] = load;
      devHoldLoad[d] += holdLoad[c];
    }
  }
  setupShares(holdLoad, devHoldLoad);
  for (int b = 0, e = int(fwdLink.size()); b < e; ++b) {
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
}

void GreedyEngine::setupShares(const std::vector<double> &holdLoad,
                               const std::vector<double> &devHoldLoad) {
  // Memory shares (GreedyRule::memoryShares): in steady state a chunk holds
  // activations in proportion to act * hold (Little's law). The share goes
  // to the nearest whole activation, at least one: rounding up hands a loop's
  // first chunk every slot of a small budget, which is what the shares are
  // there to prevent.
  share.assign(numChunks, kUnlimited);
  for (int c = 0; c < numChunks; ++c) {
    int d = chunkDev[c];
    if (limit[d] == kUnlimited || act[c] == 0 || devChunks[d].size() < 2 ||
        devHoldLoad[d] <= 0)
      continue;
    double slots =
        double(limit[d]) * holdLoad[c] / devHoldLoad[d] / double(act[c]);
    share[c] = uint64_t(std::max(1.0, std::round(slots))) * act[c];
  }
}
