//===- Simulator.cpp - Event-driven timing of a pipeline schedule ---------===//
//
// Validates a schedule against its problem (every block exactly once, on its
// chunk's device, of a kind the problem uses) and then times it with one heap
// of completion events. Blocks are started as soon as their device is free and
// their inputs are known; a block whose output crosses devices pushes a
// completion event, and popping events in (end, device, position) order is
// what commits messages to links in send-time order, so link FIFO holds
// without any per-link sorting. All state lives in flat vectors indexed by
// device position or by "logical block" (chunk, microbatch, slot). Only a
// cascade of zero-length blocks and zero-cost links within one instant can
// order equal send times by discovery rather than by device: there a
// message caused by another one's arrival cannot be queued ahead of it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Simulator.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <queue>

using namespace crosspipe::sched;

namespace {

std::string describe(const Block &b) {
  std::string s = blockKindName(b.kind);
  s += "(chunk " + std::to_string(b.chunk) + ", mb " + std::to_string(b.mb);
  if (b.parts != 1)
    s += ", part " + std::to_string(b.part) + "/" + std::to_string(b.parts);
  return s + ")";
}

std::string where(int device, int pos) {
  return "device " + std::to_string(device) + " position " +
         std::to_string(pos);
}

/// The link a chunk boundary's message uses, resolved once per boundary so
/// the hot loop never calls Problem's linear-time lookups.
struct Hop {
  bool crossDevice = false;
  int link = -1;
  LinkId linkId;
  double bandwidthMs = 0;
  double latencyMs = 0;
};

struct Event {
  double endMs;
  int device;
  int pos;
  bool operator>(const Event &o) const {
    if (endMs != o.endMs)
      return endMs > o.endMs;
    return device != o.device ? device > o.device : pos > o.pos;
  }
};

class Simulation {
public:
  Simulation(const Problem &problem, const Schedule &schedule, SimResult &res)
      : problem(problem), schedule(schedule), res(res), graph(problem) {}

  void run();

private:
  bool fail(std::string message) {
    res.ok = false;
    res.error = std::move(message);
    return false;
  }
  bool validateProblem();
  bool validateSchedule();
  bool checkBlock(int d, int i, const Block &b);
  void buildHops();
  int lbIndex(int chunk, int mb, int slot) const {
    return (chunk * m + mb) * k + slot;
  }
  int lbChunk(int lb) const { return lb / k / m; }
  int lbMb(int lb) const { return lb / k % m; }
  int lbSlot(int lb) const { return lb % k; }
  Step stepOf(int lb) const {
    return {graph.kindOfSlot(lbSlot(lb)), lbChunk(lb)};
  }
  /// Consumers of a logical block's output, in a fixed order; returns count.
  int outputs(int lb, int out[2]) const;
  /// Producers feeding a logical block's part 0; returns count.
  int inputs(int lb, int in[2]) const;
  int deviceOfLb(int lb) const { return problem.chunks[lbChunk(lb)].device; }
  /// The hop a message from lb to its consumer `to` takes.
  const Hop &hopOf(int lb, int to) const {
    int c = lbChunk(lb), toC = lbChunk(to);
    return toC > c ? fwdHop[c] : bwdHop[toC];
  }
  bool started(int lb) const {
    int g = lbLast[lb], d = deviceOfLb(lb);
    return g - offset[d] < cursor[d];
  }
  void resolve(int lb, double readyMs);
  void advance(int device);
  void reportDeadlock();
  void finish();
  void holdForAllGathers();
  void scheduleCollectives(double &origin, double &last);

  const Problem &problem;
  const Schedule &schedule;
  SimResult &res;
  BlockGraph graph;
  int p = 0, c = 0, m = 0, k = 0;

  std::vector<int> offset; // First flat index of each device.
  std::vector<int> gLb;    // Flat index -> logical block.
  std::vector<double> gStart, gEnd;
  std::vector<int> lbFirst, lbLast, lbParts;
  std::vector<int> lbPending;
  std::vector<double> lbReady;
  std::vector<int> cursor;
  std::vector<double> devFree;
  std::vector<Hop> fwdHop, bwdHop; // Boundary c: chunk c <-> chunk c+1.
  std::vector<double> linkFree;
  /// ZeRO-1 only: when each chunk's parameter all-gather ends.
  std::vector<double> gatherEnd;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> heap;
};

bool Simulation::validateProblem() {
  if (std::string err = validate(problem); !err.empty())
    return fail(err);
  p = problem.numDevices();
  c = problem.numChunks();
  m = problem.numMicrobatches;
  k = graph.kindsPerChunk();
  return true;
}

/// Checks one block of device d's order at position i against the problem.
bool Simulation::checkBlock(int d, int i, const Block &b) {
  int kind = int(b.kind);
  if (kind < 0 || kind > int(BlockKind::W))
    return fail(where(d, i) + ": unknown block kind " + std::to_string(kind));
  if (b.chunk < 0 || b.chunk >= c)
    return fail(where(d, i) + ": " + describe(b) + " names unknown chunk " +
                std::to_string(b.chunk) + " (problem has " + std::to_string(c) +
                " chunks)");
  if (b.mb < 0 || b.mb >= m)
    return fail(where(d, i) + ": " + describe(b) +
                " names unknown microbatch " + std::to_string(b.mb) +
                " (problem has " + std::to_string(m) + " microbatches)");
  if (problem.splitBackward && b.kind == BlockKind::B)
    return fail(where(d, i) + ": " + describe(b) +
                " is a fused backward but the problem splits backward "
                "into D and W");
  if (!problem.splitBackward &&
      (b.kind == BlockKind::D || b.kind == BlockKind::W))
    return fail(where(d, i) + ": " + describe(b) +
                " is a split backward but the problem uses fused B");
  if (b.parts < 1 || b.part < 0 || b.part >= b.parts)
    return fail(where(d, i) + ": " + describe(b) + " has invalid part " +
                std::to_string(b.part) + " of " + std::to_string(b.parts));
  if (problem.chunks[b.chunk].device != d)
    return fail(where(d, i) + ": " + describe(b) + " is on device " +
                std::to_string(d) + " but chunk " + std::to_string(b.chunk) +
                " is placed on device " +
                std::to_string(problem.chunks[b.chunk].device));
  return true;
}

bool Simulation::validateSchedule() {
  if (int(schedule.order.size()) != p)
    return fail("schedule has " + std::to_string(schedule.order.size()) +
                " device orders but the problem has " + std::to_string(p) +
                " devices");
  offset.assign(p + 1, 0);
  for (int d = 0; d < p; ++d)
    offset[d + 1] = offset[d] + int(schedule.order[d].size());
  int numLb = c * m * k;
  lbFirst.assign(numLb, -1);
  lbLast.assign(numLb, -1);
  lbParts.assign(numLb, 0);
  gLb.resize(offset[p]);
  // Parts must appear in increasing order: part k depends on part k-1, which
  // runs on the same device, so any other order is an error, not a wait.
  std::vector<int> nextPart(numLb, 0);
  for (int d = 0; d < p; ++d) {
    const std::vector<Block> &order = schedule.order[d];
    for (int i = 0, e = int(order.size()); i < e; ++i) {
      const Block &b = order[i];
      if (!checkBlock(d, i, b))
        return false;
      int lb = lbIndex(b.chunk, b.mb, BlockGraph::slotOf(b.kind));
      int g = offset[d] + i;
      gLb[g] = lb;
      if (lbFirst[lb] < 0) {
        lbFirst[lb] = g;
        lbParts[lb] = b.parts;
      } else if (lbParts[lb] != b.parts) {
        return fail(where(d, i) + ": " + describe(b) + " is cut into " +
                    std::to_string(b.parts) + " parts but into " +
                    std::to_string(lbParts[lb]) + " at " +
                    where(d, lbFirst[lb] - offset[d]));
      }
      if (b.part < nextPart[lb])
        return fail(where(d, i) + ": duplicate block " + describe(b));
      if (b.part > nextPart[lb]) {
        Block want = b;
        want.part = nextPart[lb];
        return fail(where(d, i) + ": " + describe(b) + " comes before " +
                    describe(want) + ", which it depends on");
      }
      ++nextPart[lb];
      lbLast[lb] = g;
    }
  }
  for (int lb = 0; lb < numLb; ++lb) {
    if (nextPart[lb] == lbParts[lb] && lbFirst[lb] >= 0)
      continue;
    Block b;
    b.kind = graph.kindOfSlot(lbSlot(lb));
    b.chunk = lbChunk(lb);
    b.mb = lbMb(lb);
    if (lbFirst[lb] < 0)
      return fail("missing block " + describe(b) + " (expected on device " +
                  std::to_string(deviceOfLb(lb)) + ")");
    b.parts = lbParts[lb];
    b.part = nextPart[lb];
    return fail("missing block " + describe(b));
  }
  return true;
}

void Simulation::buildHops() {
  fwdHop.assign(std::max(c - 1, 0), Hop());
  bwdHop.assign(std::max(c - 1, 0), Hop());
  std::map<LinkId, int> linkIndex;
  auto makeHop = [&](int src, int dst, uint64_t bytes) {
    Hop hop;
    if (src == dst)
      return hop;
    hop.crossDevice = true;
    hop.linkId = problem.linkBetween(src, dst);
    auto it = linkIndex.emplace(hop.linkId, int(linkIndex.size())).first;
    hop.link = it->second;
    // A link the problem does not declare costs nothing: intra-datacenter
    // networks are often left implicit.
    if (const LinkCost *cost = problem.linkCost(src, dst)) {
      hop.bandwidthMs = cost->bandwidthMs(bytes);
      hop.latencyMs = cost->latencyMs;
    }
    return hop;
  };
  for (int i = 0; i + 1 < c; ++i) {
    int a = problem.chunks[i].device, b = problem.chunks[i + 1].device;
    uint64_t bytes = problem.chunks[i].messageBytes;
    fwdHop[i] = makeHop(a, b, bytes);
    bwdHop[i] = makeHop(b, a, bytes);
  }
  linkFree.assign(linkIndex.size(), 0.0);
}

int Simulation::outputs(int lb, int out[2]) const {
  int mb = lbMb(lb), n = 0;
  for (Step s : graph.outputsOf(stepOf(lb)))
    out[n++] = lbIndex(s.chunk, mb, BlockGraph::slotOf(s.kind));
  return n;
}

int Simulation::inputs(int lb, int in[2]) const {
  int mb = lbMb(lb), n = 0;
  for (Step s : graph.inputsOf(stepOf(lb)))
    in[n++] = lbIndex(s.chunk, mb, BlockGraph::slotOf(s.kind));
  return n;
}

void Simulation::resolve(int lb, double readyMs) {
  lbReady[lb] = std::max(lbReady[lb], readyMs);
  --lbPending[lb];
}

void Simulation::advance(int d) {
  const std::vector<Block> &order = schedule.order[d];
  int n = int(order.size());
  while (cursor[d] < n) {
    int g = offset[d] + cursor[d];
    int lb = gLb[g];
    const Block &b = order[cursor[d]];
    double start = devFree[d];
    if (b.part == 0) {
      if (lbPending[lb] > 0)
        return;
      start = std::max(start, lbReady[lb]);
    }
    double end = start + blockDurationMs(problem, b);
    gStart[g] = start;
    gEnd[g] = end;
    devFree[d] = end;
    ++cursor[d];
    if (b.part != b.parts - 1)
      continue;
    int out[2];
    bool crosses = false;
    for (int i = 0, e = outputs(lb, out); i < e; ++i) {
      if (deviceOfLb(out[i]) == d)
        resolve(out[i], end); // Same device: no message, no delay.
      else
        crosses = true;
    }
    if (crosses)
      heap.push(Event{end, d, cursor[d] - 1});
  }
}

void Simulation::reportDeadlock() {
  std::string msg = "deadlock: no device can progress;";
  for (int d = 0; d < p; ++d) {
    if (cursor[d] >= int(schedule.order[d].size()))
      continue;
    int g = offset[d] + cursor[d];
    Stall stall;
    stall.device = d;
    stall.blocked = schedule.order[d][cursor[d]];
    int in[2];
    for (int i = 0, e = inputs(gLb[g], in); i < e; ++i) {
      if (started(in[i]))
        continue;
      int wd = deviceOfLb(in[i]);
      stall.waitsFor = schedule.order[wd][lbLast[in[i]] - offset[wd]];
      stall.waitsForDevice = wd;
      break;
    }
    msg += " device " + std::to_string(d) + " waits at " +
           describe(stall.blocked) + " for " + describe(stall.waitsFor) +
           " on device " + std::to_string(stall.waitsForDevice) + ";";
    res.stalls.push_back(stall);
  }
  msg.pop_back();
  fail(msg);
}

void Simulation::run() {
  res = SimResult();
  if (!validateProblem() || !validateSchedule())
    return;
  buildHops();
  int total = offset[p];
  gStart.assign(total, 0.0);
  gEnd.assign(total, 0.0);
  int numLb = c * m * k;
  lbPending.assign(numLb, 0);
  lbReady.assign(numLb, 0.0);
  for (int lb = 0; lb < numLb; ++lb) {
    int in[2];
    lbPending[lb] = inputs(lb, in);
  }
  cursor.assign(p, 0);
  devFree.assign(p, 0.0);
  holdForAllGathers();
  for (int d = 0; d < p; ++d)
    advance(d);
  res.transfers.reserve(size_t(numLb));
  while (!heap.empty()) {
    Event ev = heap.top();
    heap.pop();
    int g = offset[ev.device] + ev.pos;
    int lb = gLb[g];
    int out[2];
    for (int i = 0, e = outputs(lb, out); i < e; ++i) {
      int dst = deviceOfLb(out[i]);
      if (dst == ev.device)
        continue;
      const Hop &hop = hopOf(lb, out[i]);
      TransferEvent t;
      t.gradient = BlockGraph::isGradient(stepOf(lb));
      t.chunk = lbChunk(lb);
      t.mb = lbMb(lb);
      t.srcDevice = ev.device;
      t.dstDevice = dst;
      t.link = hop.linkId;
      t.sendMs = ev.endMs;
      t.occupancy.startMs = std::max(ev.endMs, linkFree[hop.link]);
      t.occupancy.endMs = t.occupancy.startMs + hop.bandwidthMs;
      linkFree[hop.link] = t.occupancy.endMs;
      t.arrivalMs = t.occupancy.endMs + hop.latencyMs;
      res.transfers.push_back(t);
      resolve(out[i], t.arrivalMs);
      if (lbPending[out[i]] == 0 &&
          lbFirst[out[i]] == offset[dst] + cursor[dst])
        advance(dst);
    }
  }
  for (int d = 0; d < p; ++d) {
    if (cursor[d] < int(schedule.order[d].size())) {
      reportDeadlock();
      return;
    }
  }
  finish();
}

void Simulation::finish() {
  res.ok = true;
  res.times.resize(p);
  res.bubbleRatio.assign(p, 0.0);
  res.peakMemoryBytes.assign(p, 0);
  std::vector<double> busy(p, 0.0);
  double first = INFINITY, origin = INFINITY, last = 0;
  int freeSlot = BlockGraph::slotOf(graph.releaseKind());
  for (int d = 0; d < p; ++d) {
    const std::vector<Block> &order = schedule.order[d];
    res.times[d].resize(order.size());
    for (int i = 0, e = int(order.size()); i < e; ++i) {
      int g = offset[d] + i;
      const Block &b = order[i];
      res.times[d][i] = Interval{gStart[g], gEnd[g]};
      busy[d] += gEnd[g] - gStart[g];
      first = std::min(first, gStart[g]);
      last = std::max(last, gEnd[g]);
      if (d == 0 && b.kind == BlockKind::F && origin == INFINITY)
        origin = gStart[g];
    }
    // A device runs blocks one at a time, so walking its order visits the
    // allocations (F starts) and frees (W or B ends) in time order, frees
    // at an instant before allocations at the same instant.
    res.peakMemoryBytes[d] = peakMemory(problem, order);
  }
  if (origin == INFINITY)
    origin = first == INFINITY ? 0.0 : first;

  if (problem.dpDegree > 1 && (problem.dpBuckets > 1 || problem.zero1)) {
    scheduleCollectives(origin, last);
  } else if (problem.dpDegree > 1) {
    std::vector<double> ready(c, 0.0);
    for (int ch = 0; ch < c; ++ch)
      for (int mb = 0; mb < m; ++mb)
        ready[ch] =
            std::max(ready[ch], gEnd[lbLast[lbIndex(ch, mb, freeSlot)]]);
    std::vector<int> byReady(c);
    for (int ch = 0; ch < c; ++ch)
      byReady[ch] = ch;
    std::sort(byReady.begin(), byReady.end(), [&](int a, int b) {
      return ready[a] != ready[b] ? ready[a] < ready[b] : a < b;
    });
    std::vector<double> commFree(p, 0.0);
    res.collectives.resize(c);
    for (int ch : byReady) {
      int d = problem.chunks[ch].device;
      double start = std::max(ready[ch], commFree[d]);
      double end = start + problem.allreduceMs(ch);
      commFree[d] = end;
      res.collectives[ch] = CollectiveEvent{
          ch, d, Interval{start, end}, CollectiveKind::AllReduce, 0, ready[ch]};
      last = std::max(last, end);
    }
  }
  res.makespanMs = std::max(0.0, last - origin);
  for (int d = 0; d < p; ++d)
    res.bubbleRatio[d] =
        res.makespanMs > 0 ? 1.0 - busy[d] / res.makespanMs : 0.0;
}

/// Under ZeRO-1 the all-gathers are the first work of every communication
/// resource, in chunk order; nothing else is ready at time 0, so their times
/// are known before compute starts, and every F of a chunk waits for its own.
void Simulation::holdForAllGathers() {
  gatherEnd.clear();
  if (!problem.zero1 || problem.dpDegree <= 1)
    return;
  gatherEnd.assign(c, 0.0);
  std::vector<double> commFree(p, 0.0);
  for (int ch = 0; ch < c; ++ch) {
    int d = problem.chunks[ch].device;
    commFree[d] += problem.collectiveMs(ch, CollectiveKind::AllGather);
    gatherEnd[ch] = commFree[d];
    for (int mb = 0; mb < m; ++mb)
      lbReady[lbIndex(ch, mb, 0)] = gatherEnd[ch];
  }
}

/// Buckets and ZeRO-1: bucket b of a chunk is ready when every microbatch's
/// releasing block (W, or B when fused) has done (b + 1) / dpBuckets of its
/// work; sub-blocks run at the block's rate, so the instant falls inside the
/// part that completes that share. The resource serves ready collectives in
/// (ready, chunk, bucket) order after the all-gathers, which is optimal for
/// its finish time given the compute timeline.
void Simulation::scheduleCollectives(double &origin, double &last) {
  int nb = problem.dpBuckets;
  int freeSlot = BlockGraph::slotOf(graph.releaseKind());
  CollectiveKind reduce =
      problem.zero1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  std::vector<double> commFree(p, 0.0);
  if (problem.zero1) {
    origin = std::min(origin, 0.0);
    for (int ch = 0; ch < c; ++ch) {
      int d = problem.chunks[ch].device;
      double dur = problem.collectiveMs(ch, CollectiveKind::AllGather);
      CollectiveEvent event{ch,
                            d,
                            Interval{gatherEnd[ch] - dur, gatherEnd[ch]},
                            CollectiveKind::AllGather,
                            0,
                            0.0};
      res.collectives.push_back(event);
      commFree[d] = gatherEnd[ch];
      last = std::max(last, gatherEnd[ch]);
    }
  }
  std::vector<double> ready(size_t(c) * nb, 0.0);
  for (int d = 0; d < p; ++d) {
    const std::vector<Block> &order = schedule.order[d];
    for (int i = 0, e = int(order.size()); i < e; ++i) {
      const Block &b = order[i];
      if (BlockGraph::slotOf(b.kind) != freeSlot)
        continue;
      int g = offset[d] + i;
      for (int bucket = 0; bucket < nb; ++bucket) {
        double at = bucketDoneMs(b, Interval{gStart[g], gEnd[g]}, bucket, nb);
        double &r = ready[size_t(b.chunk) * nb + bucket];
        r = std::max(r, at);
      }
    }
  }
  std::vector<int> byReady(ready.size());
  for (size_t i = 0; i < ready.size(); ++i)
    byReady[i] = int(i);
  std::stable_sort(byReady.begin(), byReady.end(),
                   [&](int a, int b) { return ready[a] < ready[b]; });
  size_t base = res.collectives.size();
  res.collectives.resize(base + ready.size());
  for (int i : byReady) {
    int ch = i / nb, d = problem.chunks[ch].device;
    double start = std::max(ready[i], commFree[d]);
    double end = start + problem.collectiveMs(ch, reduce);
    commFree[d] = end;
    res.collectives[base + i] =
        CollectiveEvent{ch, d, Interval{start, end}, reduce, i % nb, ready[i]};
    last = std::max(last, end);
  }
}

} // namespace

double crosspipe::sched::bucketDoneMs(const Block &block, const Interval &time,
                                      int bucket, int buckets) {
  // The share (bucket + 1) / buckets of the block's work is done inside part
  // ceil((bucket + 1) * parts / buckets) - 1.
  int64_t num = int64_t(bucket + 1) * block.parts;
  int64_t part = (num + buckets - 1) / buckets - 1;
  if (part != block.part)
    return -1;
  if (num % buckets == 0)
    return time.endMs;
  return time.startMs +
         (double(num) / buckets - double(part)) * (time.endMs - time.startMs);
}

SimResult crosspipe::sched::simulate(const Problem &problem,
                                     const Schedule &schedule) {
  SimResult result;
  Simulation(problem, schedule, result).run();
  return result;
}
