//===- GreedySetup.cpp - What the greedy knows of a problem up front ------===//
//
// Everything about a problem that no run of the greedy changes, computed once
// and shared by every rule: per-part block durations, the link and alpha-beta
// cost of every chunk boundary, memory footprints and budgets (rejecting a
// budget that cannot hold one microbatch), the critical-path offsets of one
// isolated microbatch, each chunk's round-trip window, the microbatches it
// must keep in flight and the W it may defer, and the period of the pacing
// resource that due dates are spaced by.
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

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

  for (const DcLink &link : problem.links) {
    if (!(link.cost.latencyMs >= 0) || !std::isfinite(link.cost.latencyMs) ||
        std::isnan(link.cost.bandwidthGbps)) {
      error = "link " + std::to_string(link.fromDc) + "->" +
              std::to_string(link.toDc) + " has a negative or non-finite cost";
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

  // DP: one gradient collective per chunk and bucket (a reduce-scatter under
  // ZeRO-1, else an all-reduce), and under ZeRO-1 the parameter all-gathers
  // first on every device's communication resource, in chunk order, holding
  // back each chunk's forwards.
  if (problem.dpBuckets < 1) {
    error = "dp buckets " + std::to_string(problem.dpBuckets) + " < 1";
    return;
  }
  bool dp = problem.dpDegree > 1;
  buckets = dp ? problem.dpBuckets : 1;
  zero1 = dp && problem.zero1;
  CollectiveKind reduce =
      zero1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  allreduce.resize(C);
  gatherEnd.assign(C, 0.0);
  std::vector<double> gathered(P, 0.0);
  for (int c = 0; c < C; ++c) {
    allreduce[c] = problem.collectiveMs(c, reduce);
    double gather =
        zero1 ? problem.collectiveMs(c, CollectiveKind::AllGather) : 0.0;
    for (double v : {allreduce[c], gather}) {
      if (!(v >= 0) || !std::isfinite(v)) {
        error = "chunk " + std::to_string(c) +
                " has a negative or non-finite all-reduce time";
        return;
      }
    }
    gatherEnd[c] = gathered[chunkDev[c]] += gather;
  }

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
    double cap = std::floor(slots * devChunks[d].size()) - keep[c];
    wCap[c] = int(std::min(double(numMb), std::max(0.0, cap)));
  }

  // The period a microbatch costs the busiest resource: device work, the
  // memory slots its holding time needs, or link bandwidth.
  periodMs = 0;
  std::vector<double> memLoad(P, 0.0), linkLoad(numLinks, 0.0);
  std::vector<double> holdLoad(C, 0.0), devHoldLoad(P, 0.0);
  for (int c = 0; c < C; ++c) {
    int d = chunkDev[c];
    if (limit[d] != kUnlimited && limit[d] > 0) {
      double hold = headMs[c * 3 + KW] + full(c, KW) - headMs[c * 3 + KF];
      if (!split)
        hold = headMs[c * 3 + KD] + full(c, KD) - headMs[c * 3 + KF];
      memLoad[d] += double(act[c]) * hold / double(limit[d]);
      holdLoad[c] = double(act[c]) * hold;
      devHoldLoad[d] += holdLoad[c];
    }
  }
  // Memory shares (GreedyRule::memoryShares): in steady state a chunk holds
  // activations in proportion to act * hold (Little's law). The share goes
  // to the nearest whole activation, at least one: rounding up hands a loop's
  // first chunk every slot of a small budget, which is what the shares are
  // there to prevent.
  share.assign(C, kUnlimited);
  for (int c = 0; c < C; ++c) {
    int d = chunkDev[c];
    if (limit[d] == kUnlimited || act[c] == 0 || devChunks[d].size() < 2 ||
        devHoldLoad[d] <= 0)
      continue;
    double slots = double(limit[d]) * holdLoad[c] / devHoldLoad[d] /
                   double(act[c]);
    share[c] = uint64_t(std::max(1.0, std::round(slots))) * act[c];
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
