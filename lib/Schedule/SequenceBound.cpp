//===- SequenceBound.cpp - Order-statistic sequencing bounds --------------===//
//
// Proof sketch, for every schedule the simulator accepts (blocks cut into at
// most n parts, each of 1/n of the block; a message leaves when its producer
// ends, occupies its link alone for its bandwidth time and arrives a latency
// later; a budget never exceeded at any instant). A group is the M blocks of
// one chunk and kind; "rank k" is the k-th of them to start (heads, from 0)
// or the k-th from last to end (tails, from 0).
//
// Heads r[k] (no earlier start of the rank-k block):
//  - serial: a device runs one part at a time, so rank k starts after the
//    first part of rank k - 1: r[k] >= r[k-1] + p / n;
//  - inputs: rank k starts after the k + 1 first blocks of its group, whose
//    k + 1 distinct producers (same microbatches) ended; the j-th earliest of
//    those ends no earlier than the producer group's r[j] + p. Their messages
//    queue on one link: window j ends at >= e_j = max(e_{j-1}, send_j) + bw,
//    and the last arrives e_k + latency later;
//  - memory: at the start S of F rank k, the k + 1 microbatches whose F has
//    started and not been released (by W, or by D / B when W keeps nothing)
//    each hold at least one slice R / n of the released bytes R. At most K =
//    floor(limit / floor(R / n)) fit, so k + 1 - K releases ended by S: S >=
//    release head r[k - K] + its duration; and those k + 1 - K microbatches'
//    backward and release blocks and the first parts of F ranks K..k-1 all
//    ran on the device after the first backward block's head. Likewise from
//    the start of F(c) to the end of D(c) (B) a microbatch holds a slice of
//    chunk c and every earlier chunk of its device whole (their F's ended,
//    their D's wait for D(c)), which bounds how many are in that state (on
//    wave placement: half of what chunk c alone would allow).
// Tails q[j] (no less time from the end of the rank-j-from-last block to the
// end of the step) mirror them in reversed time: serial, outputs (the
// consumer of the j-th latest message starts no earlier than its window end
// plus latency, and j + 1 distinct consumers have start-to-end times at
// least the consumer group's q + p at ranks 0..j, paired worst first), the
// all-reduce after a chunk's last release, and memory (at the end E of the
// release of rank r >= K, at most K - 1 later-released microbatches had
// started their F before E, so r + 1 - K microbatches run F, backward and
// release after E, and one F of rank r - K from last starts after E).
// Windows: in any schedule at most #{k : r[k] < a} blocks of a group start
// before a and at most #{j : q[j] < b} end after T - b, so the others run
// whole inside [a, T - b], one at a time on a device (or a link): T >= a +
// b + their work whenever there is some. The bound is the largest such sum
// over thresholds a, b taken from the heads and tails.
//
//===----------------------------------------------------------------------===//

#include "SequenceBound.h"

#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

namespace {

constexpr int kF = 0, kBack = 1, kW = 2;

/// One boundary's messages in one direction.
struct Hop {
  bool crosses = false; ///< Between two devices (else no message cost).
  LinkId link;
  double latency = 0, bandwidth = 0;
};

/// The link window of messages sent in order: e_j = max(e_{j-1}, t_j) + bw.
struct Queue {
  double end = -INFINITY;
  double push(double at, double bandwidth) {
    end = std::max(end, at) + bandwidth;
    return end;
  }
};

/// A group of M equal jobs on one resource: duration, heads and tails by
/// rank (both nondecreasing).
struct Jobs {
  double duration = 0;
  const std::vector<double> *head = nullptr, *tail = nullptr;
  double headShift = 0, tailShift = 0;
};

/// How one chunk's microbatches recycle memory on its device: from its F's
/// start to the end of its `release` block a microbatch holds at least
/// `perMicrobatch` bytes, so at most `keep` of them are in that state.
struct Recycling {
  int keep = 0;
  int release = kW;
  /// The microbatch's work from its F's end to its release's end, on the
  /// device.
  double work = 0;
};

class Sequencer {
public:
  Sequencer(const Problem &p, int parts) : p(p), n(parts) {}
  SequenceBounds compute();

private:
  double dur(int c, int slot) const;
  Hop hopBetween(int from, int to, uint64_t bytes) const;
  void setUp();
  void computeHeads();
  void computeTails();
  double windowBound(const std::vector<Jobs> &groups) const;
  double deviceBound(int d) const;
  double linkBound() const;

  const Problem &p;
  int n = 1, chunks = 0, m = 0, slots = 2;
  /// head[c][slot][k], tail[c][slot][j].
  std::vector<std::vector<std::vector<double>>> head, tail;
  /// Per boundary c (chunk c to c + 1): activations forward, gradients back.
  std::vector<Hop> forward, backward;
  /// Per chunk, the ways its microbatches recycle memory.
  std::vector<std::vector<Recycling>> recycling;
  void addRecycling(int c, int release, double work, uint64_t perMicrobatch);
};

double Sequencer::dur(int c, int slot) const {
  BlockKind kind = slot == kF        ? BlockKind::F
                   : slot == kW      ? BlockKind::W
                   : p.splitBackward ? BlockKind::D
                                     : BlockKind::B;
  return wholeBlockMs(p, c, kind);
}

Hop Sequencer::hopBetween(int from, int to, uint64_t bytes) const {
  Hop hop;
  if (from == to)
    return hop;
  hop.crosses = true;
  hop.link = p.linkBetween(from, to);
  if (const LinkCost *cost = p.linkCost(from, to)) {
    hop.latency = cost->latencyMs;
    hop.bandwidth = cost->bandwidthMs(bytes);
  }
  return hop;
}

void Sequencer::setUp() {
  chunks = p.numChunks();
  m = p.numMicrobatches;
  slots = p.splitBackward ? 3 : 2;
  head.assign(chunks, std::vector<std::vector<double>>(
                          slots, std::vector<double>(m, 0.0)));
  tail = head;
  forward.assign(chunks, Hop());
  backward.assign(chunks, Hop());
  for (int c = 0; c + 1 < chunks; ++c) {
    int a = p.chunks[c].device, b = p.chunks[c + 1].device;
    forward[c] = hopBetween(a, b, p.chunks[c].messageBytes);
    backward[c] = hopBetween(b, a, p.chunks[c].messageBytes);
  }
  recycling.assign(chunks, {});
  std::vector<uint64_t> earlier(p.numDevices(), 0);
  for (int c = 0; c < chunks; ++c) {
    ChunkMemory mem = chunkMemory(p, c);
    // What the microbatch certainly holds of chunk c from F(c)'s start to
    // the end of D(c) (B), and to the end of W(c). A recompute chunk holds
    // only its checkpoint before D and what W keeps after it; whole blocks
    // allocate at their start and free at their end, but sub-blocks of D
    // trade slices of the two in uneven steps, so then nothing is certain.
    uint64_t own = mem.activationBytes / n, ownW = mem.wgradBytes / n;
    if (mem.recomputeBytes() > 0) {
      own = n == 1 ? mem.keptBytes : 0;
      ownW = n == 1 ? std::min(mem.keptBytes, mem.wgradBytes) : 0;
    }
    // Until its release every microbatch keeps a slice of what it frees.
    bool byW = p.splitBackward && mem.wgradBytes > 0;
    addRecycling(c, byW ? kW : kBack, dur(c, kBack) + (byW ? dur(c, kW) : 0),
                 byW ? ownW : own);
    // From F(c) to the end of D(c) (B) it also keeps every earlier chunk
    // of its device whole (what their F's kept): their F's ended, their
    // D's wait for D(c).
    uint64_t &before = earlier[p.chunks[c].device];
    if (before > 0)
      addRecycling(c, kBack, dur(c, kBack), before + own);
    before += mem.keptBytes;
  }
}

void Sequencer::addRecycling(int c, int release, double work,
                             uint64_t perMicrobatch) {
  uint64_t limit = p.memoryLimit(p.chunks[c].device);
  // A limit below one microbatch admits no schedule: nothing to recycle.
  if (limit == kUnlimited || perMicrobatch == 0 || limit < perMicrobatch ||
      limit / perMicrobatch >= uint64_t(m))
    return;
  recycling[c].push_back({int(limit / perMicrobatch), release, work});
}

/// Heads rank by rank, so that memory reads lower ranks already final.
void Sequencer::computeHeads() {
  std::vector<Queue> fq(chunks), bq(chunks);
  for (int k = 0; k < m; ++k) {
    auto serial = [&](int c, int slot) {
      return k > 0 ? head[c][slot][k - 1] + dur(c, slot) / n : 0.0;
    };
    for (int c = 0; c < chunks; ++c) {
      double r = serial(c, kF);
      if (c > 0) {
        const Hop &hop = forward[c - 1];
        double send = head[c - 1][kF][k] + dur(c - 1, kF);
        r = std::max(r, fq[c - 1].push(send, hop.bandwidth) + hop.latency);
      }
      for (const Recycling &rc : recycling[c]) {
        if (k < rc.keep)
          continue;
        int freed = k + 1 - rc.keep;
        r = std::max(r, head[c][rc.release][k - rc.keep] +
                            dur(c, rc.release));
        r = std::max(r, head[c][kBack][0] + freed * rc.work +
                            (freed - 1) * dur(c, kF) / n);
      }
      head[c][kF][k] = r;
    }
    for (int c = chunks - 1; c >= 0; --c) {
      double r = std::max(serial(c, kBack), head[c][kF][k] + dur(c, kF));
      if (c + 1 < chunks) {
        const Hop &hop = backward[c];
        double send = head[c + 1][kBack][k] + dur(c + 1, kBack);
        r = std::max(r, bq[c].push(send, hop.bandwidth) + hop.latency);
      }
      head[c][kBack][k] = r;
    }
    if (slots == 3)
      for (int c = 0; c < chunks; ++c)
        head[c][kW][k] =
            std::max(serial(c, kW), head[c][kBack][k] + dur(c, kBack));
  }
}

/// Tails rank by rank from the last, the mirror image of computeHeads().
void Sequencer::computeTails() {
  std::vector<Queue> fq(chunks), bq(chunks);
  for (int j = 0; j < m; ++j) {
    auto serial = [&](int c, int slot) {
      return j > 0 ? tail[c][slot][j - 1] + dur(c, slot) / n : 0.0;
    };
    // Memory: the release of rank j from last is followed by an F of rank
    // j - K and by j + 1 - K whole microbatches of the chunk.
    auto recycled = [&](int c, int slot, double q) {
      for (const Recycling &rc : recycling[c]) {
        if (j < rc.keep || rc.release != slot)
          continue;
        double whole = dur(c, kF) + rc.work;
        q = std::max(q, tail[c][kF][j - rc.keep] + dur(c, kF));
        q = std::max(q, (j + 1 - rc.keep) * whole + tail[c][slot][0]);
      }
      return q;
    };
    if (slots == 3)
      for (int c = 0; c < chunks; ++c)
        tail[c][kW][j] = recycled(
            c, kW, std::max(serial(c, kW), p.allreduceMs(c)));
    for (int c = 0; c < chunks; ++c) {
      double q = std::max(serial(c, kBack),
                          slots == 3 ? tail[c][kW][j] + dur(c, kW)
                                     : p.allreduceMs(c));
      if (c > 0) {
        const Hop &hop = backward[c - 1];
        double consumer = tail[c - 1][kBack][j] + dur(c - 1, kBack);
        q = std::max(q, bq[c - 1].push(consumer, hop.bandwidth) + hop.latency);
      }
      tail[c][kBack][j] = recycled(c, kBack, q);
    }
    for (int c = chunks - 1; c >= 0; --c) {
      double q =
          std::max(serial(c, kF), tail[c][kBack][j] + dur(c, kBack));
      if (c + 1 < chunks) {
        const Hop &hop = forward[c];
        double consumer = tail[c + 1][kF][j] + dur(c + 1, kF);
        q = std::max(q, fq[c].push(consumer, hop.bandwidth) + hop.latency);
      }
      tail[c][kF][j] = q;
    }
  }
}

/// Ranks whose heads and tails serve as thresholds: all of them for small
/// M, else the first 16 and a geometric sample, which keeps large problems
/// fast; fewer thresholds only weaken the bound.
std::vector<int> thresholdRanks(int m) {
  std::vector<int> ranks;
  for (int k = 0; k < m; k = k < 16 ? k + 1 : k + std::max(1, k / 5))
    ranks.push_back(k);
  if (ranks.back() != m - 1)
    ranks.push_back(m - 1);
  return ranks;
}

/// How many of the sorted `values` (plus `shift`) are below `x`.
int countBelow(const std::vector<double> &values, double shift, double x) {
  return int(std::lower_bound(values.begin(), values.end(), x - shift) -
             values.begin());
}

/// Thresholds from each group's heads (or tails) at the sampled ranks,
/// sorted and without repeats, and per threshold how many of each group's
/// values lie below it (row-major, one row per threshold).
struct Thresholds {
  std::vector<double> values;
  std::vector<int> below;
};

Thresholds thresholds(const std::vector<Jobs> &groups, bool heads, int m) {
  Thresholds t;
  for (const Jobs &g : groups)
    for (int k : thresholdRanks(m))
      t.values.push_back(heads ? (*g.head)[k] + g.headShift
                               : (*g.tail)[k] + g.tailShift);
  std::sort(t.values.begin(), t.values.end());
  t.values.erase(std::unique(t.values.begin(), t.values.end()),
                 t.values.end());
  for (double x : t.values)
    for (const Jobs &g : groups)
      t.below.push_back(heads ? countBelow(*g.head, g.headShift, x)
                              : countBelow(*g.tail, g.tailShift, x));
  return t;
}

double Sequencer::windowBound(const std::vector<Jobs> &groups) const {
  Thresholds as = thresholds(groups, true, m);
  Thresholds bs = thresholds(groups, false, m);
  size_t numGroups = groups.size();
  double best = 0;
  for (size_t i = 0; i < as.values.size(); ++i)
    for (size_t j = 0; j < bs.values.size(); ++j) {
      const int *headsBelow = &as.below[i * numGroups];
      const int *tailsBelow = &bs.below[j * numGroups];
      double work = 0;
      for (size_t g = 0; g < numGroups; ++g) {
        int inside = m - headsBelow[g] - tailsBelow[g];
        if (inside > 0)
          work += inside * groups[g].duration;
      }
      if (work > 0)
        best = std::max(best, as.values[i] + work + bs.values[j]);
    }
  return best;
}

double Sequencer::deviceBound(int d) const {
  std::vector<Jobs> groups;
  for (int c = 0; c < chunks; ++c)
    if (p.chunks[c].device == d)
      for (int slot = 0; slot < slots; ++slot)
        groups.push_back({dur(c, slot), &head[c][slot], &tail[c][slot]});
  return groups.empty() ? 0 : windowBound(groups);
}

/// Messages of boundary c leave when their producer group ends and are
/// followed by the latency and their consumer group's start-to-end time.
double Sequencer::linkBound() const {
  std::map<LinkId, std::vector<Jobs>> onLink;
  for (int c = 0; c + 1 < chunks; ++c) {
    if (forward[c].crosses && forward[c].bandwidth > 0)
      onLink[forward[c].link].push_back(
          {forward[c].bandwidth, &head[c][kF], &tail[c + 1][kF],
           dur(c, kF), forward[c].latency + dur(c + 1, kF)});
    if (backward[c].crosses && backward[c].bandwidth > 0)
      onLink[backward[c].link].push_back(
          {backward[c].bandwidth, &head[c + 1][kBack], &tail[c][kBack],
           dur(c + 1, kBack), backward[c].latency + dur(c, kBack)});
  }
  double best = 0;
  for (const auto &[link, groups] : onLink)
    best = std::max(best, windowBound(groups));
  return best;
}

SequenceBounds Sequencer::compute() {
  setUp();
  computeHeads();
  computeTails();
  SequenceBounds out;
  for (int d = 0, e = p.numDevices(); d < e; ++d)
    out.deviceMs = std::max(out.deviceMs, deviceBound(d));
  out.linkMs = linkBound();
  out.statistics.headMs = std::move(head);
  out.statistics.tailMs = std::move(tail);
  return out;
}

} // namespace

SequenceBounds crosspipe::sched::detail::computeSequenceBounds(
    const Problem &problem, int parts) {
  return Sequencer(problem, std::max(parts, 1)).compute();
}
