//===- LowerBound.cpp - Provable lower bounds on the makespan -------------===//
//
// Every bound here is the length of a chain of work that any schedule must
// run in sequence, under the simulator's semantics with everything that can
// only add delay removed (link queueing, contention on other devices). Time
// 0 is the start of the first F(0, m): all blocks depend on one, and it runs
// on device 0, where the simulator's makespan starts.
//
// Notation: beta_c is the input-gradient pass (B fused, D split), w_c the
// weight pass (0 fused), ar_c the all-reduce, hopF_c / hopB_c one message's
// latency plus bandwidth time between chunks c and c+1 (0 on one device).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/LowerBound.h"

#include "SequenceBound.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;

namespace {

class BoundBuilder {
public:
  BoundBuilder(const Problem &p, int parts) : p(p), parts(parts) {}

  bool valid() const;
  LowerBound compute();

private:
  double beta(int c) const {
    return wholeBlockMs(p, c, p.splitBackward ? BlockKind::D : BlockKind::B);
  }
  double w(int c) const {
    return p.splitBackward ? wholeBlockMs(p, c, BlockKind::W) : 0;
  }
  double hop(int src, int dst, uint64_t bytes) const;
  void precompute();
  double deviceBound(int d, bool fromOrigin) const;
  double memoryBound(int d, bool &feasible) const;
  double turnBound(int d) const;
  double dpTailBound(int d) const;

  const Problem &p;
  /// The most parts any block of a schedule is cut into: a sub-block frees
  /// its slice of the activation early, so memory binds less.
  int parts = 1;
  int numChunks = 0, m = 0, numDevices = 0;
  std::vector<double> hopF, hopB;
  /// headF[c]: earliest start of any F(c, m).
  std::vector<double> headF;
  /// tail[c]: least time from the end of a D/B(c, m) to the end of the
  /// step: the gradient chain down to each c' <= c, then W(c', m) and c''s
  /// all-reduce.
  std::vector<double> tail;
  /// hold[c]: least time an activation of chunk c is held, from F(c, m)
  /// start to W/B(c, m) end: the round trip from chunk c onwards.
  std::vector<double> hold;
  /// backChain[c]: least time from the end of F(C-1, m) to the end of
  /// D/B(c, m).
  std::vector<double> backChain;
  std::vector<std::vector<int>> onDevice;
};

// Only what the bounds index must hold, not sched::validate(): callers print
// bounds for problems a scheduler rejects (say, a dp degree of 0), and those
// bounds must stay what they were.
bool BoundBuilder::valid() const {
  if (p.numChunks() <= 0 || p.numMicrobatches <= 0 || p.numDevices() <= 0)
    return false;
  for (const Chunk &c : p.chunks)
    if (c.device < 0 || c.device >= p.numDevices())
      return false;
  return true;
}

double BoundBuilder::hop(int src, int dst, uint64_t bytes) const {
  if (src == dst)
    return 0;
  const LinkCost *cost = p.linkCost(src, dst);
  return cost ? cost->costMs(bytes) : 0;
}

void BoundBuilder::precompute() {
  numChunks = p.numChunks();
  m = p.numMicrobatches;
  numDevices = p.numDevices();
  hopF.assign(numChunks, 0);
  hopB.assign(numChunks, 0);
  for (int c = 0; c + 1 < numChunks; ++c) {
    int a = p.chunks[c].device, b = p.chunks[c + 1].device;
    hopF[c] = hop(a, b, p.chunks[c].messageBytes);
    hopB[c] = hop(b, a, p.chunks[c].messageBytes);
  }
  headF.assign(numChunks, 0);
  for (int c = 1; c < numChunks; ++c)
    headF[c] = headF[c - 1] + p.chunks[c - 1].forwardMs + hopF[c - 1];
  // tail[c] = max(w_c + ar_c, hopB_{c-1} + beta_{c-1} + tail[c-1]).
  tail.assign(numChunks, 0);
  for (int c = 0; c < numChunks; ++c) {
    tail[c] = w(c) + p.allreduceMs(c);
    if (c > 0)
      tail[c] = std::max(tail[c], hopB[c - 1] + beta(c - 1) + tail[c - 1]);
  }
  backChain.assign(numChunks, 0);
  int last = numChunks - 1;
  backChain[last] = beta(last);
  for (int c = last - 1; c >= 0; --c)
    backChain[c] = backChain[c + 1] + hopB[c] + beta(c);
  hold.assign(numChunks, 0);
  double forwardAfter = 0; // F chain from chunk c to the end of F(C-1).
  for (int c = last; c >= 0; --c) {
    forwardAfter += p.chunks[c].forwardMs + (c < last ? hopF[c] : 0);
    hold[c] = forwardAfter + backChain[c] + w(c);
  }
  onDevice.assign(numDevices, {});
  for (int c = 0; c < numChunks; ++c)
    onDevice[p.chunks[c].device].push_back(c);
}

/// All blocks on device d start at or after its head, run one at a time,
/// and the last one is followed by forced work. Let t be the end of the last
/// D (B) on d, of chunk c: before t the device ran every F and D and some
/// W's; after t it runs the other W's (then an all-reduce), while the chain
/// below c needs tail[c]. The W's still pending at t each hold what W keeps
/// (h, or their parts' slices of it) within the device's limit, so their
/// work is at most limit * max(w / h) (a fractional knapsack); the rest ran
/// before t. Hence, with Wp that most pending work,
///   end >= head + F + D + max(W + min ar, W - Wp + min over c of tail[c]).
double BoundBuilder::deviceBound(int d, bool fromOrigin) const {
  const std::vector<int> &chunks = onDevice[d];
  if (chunks.empty())
    return 0;
  double head = INFINITY, fd = 0, wsum = 0, minAr = INFINITY,
         minTail = INFINITY, perByte = 0;
  for (int c : chunks) {
    head = std::min(head, headF[c]);
    fd += m * (p.chunks[c].forwardMs + beta(c));
    wsum += m * w(c);
    minAr = std::min(minAr, p.allreduceMs(c));
    minTail = std::min(minTail, tail[c]);
    uint64_t h = chunkMemory(p, c).wgradBytes;
    if (w(c) > 0)
      perByte = h == 0 ? INFINITY : std::max(perByte, w(c) / double(h));
  }
  if (fromOrigin)
    head = 0;
  uint64_t limit = p.memoryLimit(d);
  double pending = limit == kUnlimited || perByte == INFINITY
                       ? wsum
                       : std::min(wsum, double(limit) * perByte);
  return head + fd + std::max(wsum + minAr, wsum - pending + minTail);
}

/// Memory, per chunk c on d with activation a (F to the end of B/D) of which
/// h stays until W's end (BlockGraph.h's chunkMemory), blocks cut into at
/// most n parts (slices of layers, each freed as its backward part ends),
/// and rt the least time from F(c, m)'s end to D/B(c, m)'s start:
/// - A microbatch holds all of a from its F's last part start to its D's
///   first part end, at least rt + (F + D) / n. At most floor(limit / a)
///   such windows overlap, so the M windows split into that many chains
///   (interval graphs are perfect); one has ceil(M / k) of them in a row,
///   and its last D is followed by tail[c].
/// - Likewise all of h from the F's last part start to the W's first part
///   end, at least rt + D + (F + W) / n, floor(limit / h) at a time; the
///   last window's D ends rt + D + F / n after it starts.
/// - The device's memory-time integral: slice i of n is held from F part i
///   to the backward part that ends it, (F + D) (n - i) / n + rt for a - h
///   and (F + W) (n - i) / n + rt + D for h, which fits under
///   limit * (end - head).
/// With whole blocks and h = a the first two are the classic bound
/// headF + ceil(M / k) * hold - W + tail.
double BoundBuilder::memoryBound(int d, bool &feasible) const {
  uint64_t limit = p.memoryLimit(d);
  const std::vector<int> &chunks = onDevice[d];
  if (limit == kUnlimited || chunks.empty())
    return 0;
  // One microbatch holds all of what its F's keep on d at once: F of d's
  // last chunk runs after every earlier F of that microbatch on d and
  // before any of their D's or W's.
  uint64_t together = leastMicrobatchBytes(p, d);
  // No schedule exists then; any finite number is a valid bound, and
  // finite numbers keep reports and IR attributes printable.
  if (together > limit) {
    feasible = false;
    return 0;
  }
  double n = parts, cut = 1.0 / n, mean = (n + 1) / (2 * n);
  double best = 0, integral = 0, head = INFINITY;
  for (int c : chunks) {
    ChunkMemory mem = chunkMemory(p, c);
    uint64_t a = mem.activationBytes, h = mem.wgradBytes;
    head = std::min(head, headF[c]);
    if (mem.recomputeBytes() > 0) {
      // A recompute microbatch certainly holds its checkpoint from F's
      // start to D's (B's) end and the smaller of that and what W keeps
      // until W's end, with whole blocks (allocating at their start,
      // freeing at their end); sub-blocks of D trade slices of the two in
      // uneven steps, so the windows below would not follow them.
      if (parts > 1)
        continue;
      a = mem.keptBytes;
      h = std::min(a, h);
    }
    if (a == 0)
      continue;
    double f = p.chunks[c].forwardMs, b = beta(c), wc = w(c);
    double rt = std::max(0.0, hold[c] - f - b - wc);
    double rounds = std::ceil(double(m) / double(limit / a));
    if (parts == 1 && (h == a || !p.splitBackward)) {
      // Whole blocks holding everything to the release: the classic form,
      // kept as it was so that its rounding stays what it was.
      best = std::max(best, headF[c] + rounds * hold[c] - wc + tail[c]);
      integral += double(m) * double(a) * hold[c];
      continue;
    }
    best = std::max(best, headF[c] + rounds * (rt + (f + b) * cut) + tail[c]);
    if (h > 0) {
      double roundsW = std::ceil(double(m) / double(limit / h));
      double window = rt + b + (f + wc) * cut;
      best = std::max(best, headF[c] + (roundsW - 1) * window + rt + b +
                                f * cut + tail[c]);
    }
    integral += double(m) * (double(a - h) * (rt + (f + b) * mean) +
                             double(h) * (rt + b + (f + wc) * mean));
  }
  if (limit > 0)
    best = std::max(best, head + integral / double(limit));
  return best;
}

/// Two consecutive chunks c and c' = c + 1 on device d (the turn of a wave),
/// whole blocks, no recomputation, activations a and a', of which h and h' stay
/// until the releases (W's with split backward; B's, which free all, fused).
/// Number the microbatches by the start of their F(c') on d: m_0, m_1, ....
/// - When limit < a + a' + min(h, h'): F(c', m_i+1) finds its own chunk-c
///   activation held, allocates a', and m_i still holds at least min(h, h')
///   until both its releases end; so D and release of c' and of c for m_i
///   all end before F(c', m_i+1) starts, and they start no earlier than
///   D(c', m_i) can: rt(c') after F(c', m_i) ends.
/// - When moreover limit < a + h + h' (m_i holds h + h' until one release
///   ends): F(c, m_i+1) cannot precede F(c', m_i) (that would hold 2a + a'),
///   so it allocates a while m_i holds h + h', and waits for a release of
///   m_i: it too runs in that window.
/// Hence F(c', m_M-1) starts at least (M - 1) (f' + rt + S) after headF[c'],
/// S the window's work, and the step ends at least f' + rt + max(beta' +
/// tail[c'], S without F) after that.
double BoundBuilder::turnBound(int d) const {
  uint64_t limit = p.memoryLimit(d);
  if (limit == kUnlimited || parts != 1 || m < 2)
    return 0;
  double best = 0;
  for (int c : onDevice[d]) {
    int c1 = c + 1;
    // With recomputation F keeps only a checkpoint and the backward block
    // allocates the rest: the argument below counts whole activations.
    if (c1 >= numChunks || p.chunks[c1].device != d || p.chunks[c].recompute ||
        p.chunks[c1].recompute)
      continue;
    ChunkMemory mem = chunkMemory(p, c), mem1 = chunkMemory(p, c1);
    uint64_t a = mem.activationBytes, a1 = mem1.activationBytes;
    uint64_t h = p.splitBackward ? mem.wgradBytes : a;
    uint64_t h1 = p.splitBackward ? mem1.wgradBytes : a1;
    // uint64_t sums of byte counts: far below overflow for real budgets,
    // and a wrap could only make a condition false (no bound), never true.
    if (limit >= a + a1 + std::min(h, h1))
      continue;
    double f1 = p.chunks[c1].forwardMs;
    double rt = std::max(0.0, hold[c1] - f1 - beta(c1) - w(c1));
    double local = beta(c1) + w(c1) + beta(c) + w(c);
    double window = local + (limit < a + h + h1 ? p.chunks[c].forwardMs : 0);
    double lastF = headF[c1] + (m - 1) * (f1 + rt + window);
    best =
        std::max(best, lastF + f1 + rt + std::max(beta(c1) + tail[c1], local));
  }
  return best;
}

/// The last W (B) of chunk c ends no earlier than headF[c] plus all of the
/// chunk's M blocks, nor than one microbatch's chain to it plus W. Its
/// all-reduce follows; the device's all-reduces run one at a time, so those
/// whose ready bound is >= r all run after r.
double BoundBuilder::dpTailBound(int d) const {
  std::vector<std::pair<double, double>> jobs; // (ready bound, all-reduce)
  int last = numChunks - 1;
  double reachLast = headF[last] + p.chunks[last].forwardMs;
  for (int c : onDevice[d]) {
    const Chunk &ch = p.chunks[c];
    double ready = std::max(headF[c] + m * (ch.forwardMs + beta(c) + w(c)),
                            reachLast + backChain[c] + w(c));
    jobs.emplace_back(ready, p.allreduceMs(c));
  }
  std::sort(jobs.begin(), jobs.end());
  double best = 0, suffix = 0;
  for (int i = int(jobs.size()) - 1; i >= 0; --i) {
    suffix += jobs[i].second;
    best = std::max(best, jobs[i].first + suffix);
  }
  return best;
}

LowerBound BoundBuilder::compute() {
  LowerBound lb;
  precompute();
  // The makespan starts at the first F on device 0. When device 0 holds
  // chunks but not chunk 0, it may start arbitrarily late, and only what
  // device 0 must still do afterwards is a valid bound.
  bool shifted = p.chunks[0].device != 0 && !onDevice[0].empty();
  for (int d = 0; d < numDevices; ++d) {
    double memory = std::max(memoryBound(d, lb.memoryFeasible), turnBound(d));
    if (shifted)
      continue;
    lb.deviceBoundMs = std::max(lb.deviceBoundMs, deviceBound(d, false));
    lb.memoryBoundMs = std::max(lb.memoryBoundMs, memory);
    lb.dpTailBoundMs = std::max(lb.dpTailBoundMs, dpTailBound(d));
  }
  if (shifted) {
    lb.deviceBoundMs = deviceBound(0, /*fromOrigin=*/true);
    lb.makespanMs = lb.deviceBoundMs;
    return lb;
  }
  int last = numChunks - 1;
  lb.roundTripBoundMs =
      headF[last] + p.chunks[last].forwardMs + beta(last) + tail[last];
  detail::SequenceBounds sequence = detail::computeSequenceBounds(p, parts);
  lb.sequenceBoundMs = sequence.deviceMs;
  lb.linkBoundMs = sequence.linkMs;
  lb.makespanMs =
      std::max({lb.deviceBoundMs, lb.roundTripBoundMs, lb.memoryBoundMs,
                lb.dpTailBoundMs, lb.sequenceBoundMs, lb.linkBoundMs});
  return lb;
}

/// Gradient buckets or ZeRO-1: collectives that may start before a chunk's
/// last W or move work to the start, which the bounds do not model.
bool bucketedDp(const Problem &problem) {
  return problem.dpDegree > 1 && (problem.dpBuckets > 1 || problem.zero1);
}

/// The problem without data parallelism, which only ever removes work.
Problem withoutDp(const Problem &problem) {
  Problem plain = problem;
  plain.dpDegree = 1;
  plain.dpBuckets = 1;
  plain.zero1 = false;
  return plain;
}

} // namespace

LowerBound crosspipe::sched::computeLowerBound(const Problem &problem,
                                               int maxParts) {
  // The DP tail bound assumes one all-reduce per chunk after its last W;
  // gradient buckets may start earlier and ZeRO-1 moves work to the start,
  // so those are bounded without DP, which only ever adds work.
  if (bucketedDp(problem))
    return computeLowerBound(withoutDp(problem), maxParts);
  BoundBuilder builder(problem, std::max(maxParts, 1));
  if (!builder.valid())
    return LowerBound();
  return builder.compute();
}

OrderStatistics crosspipe::sched::computeOrderStatistics(const Problem &problem,
                                                         int maxParts) {
  // As computeLowerBound(): buckets and ZeRO-1 are bounded without DP.
  if (bucketedDp(problem))
    return computeOrderStatistics(withoutDp(problem), maxParts);
  BoundBuilder builder(problem, std::max(maxParts, 1));
  bool shifted = problem.numChunks() > 0 && problem.chunks[0].device != 0 &&
                 !problem.chunksOnDevice(0).empty();
  if (!builder.valid() || shifted)
    return OrderStatistics();
  return detail::computeSequenceBounds(problem, std::max(maxParts, 1))
      .statistics;
}

int crosspipe::sched::maxPartsOf(const Schedule &schedule) {
  int most = 1;
  for (const std::vector<Block> &order : schedule.order)
    for (const Block &b : order)
      most = std::max(most, b.parts);
  return most;
}
