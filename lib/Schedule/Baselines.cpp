//===- Baselines.cpp - Static pipeline schedules from the literature ------===//
//
// Generators for GPipe, 1F1B, Megatron's interleaved 1F1B, ZB-H1 and ZB-V,
// following the orders of their reference implementations (Megatron-LM's
// interleaved schedule table and warm-up count; the zero-bubble authors'
// ZB-H1 with exact W semantics; the handcrafted ZB-V of the zero-bubble
// paper's Section 6), plus the applicability checks that turn a mismatched
// problem into a readable reason instead of a deadlocking order. Whether the
// problem is usable at all is sched::validate()'s to say; the checks here
// are only about placement and split backward.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Baselines.h"

#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <deque>

using namespace crosspipe::sched;

namespace {

const char *placementName(Placement placement) {
  switch (placement) {
  case Placement::Unidirectional:
    return "unidirectional";
  case Placement::Interleaved:
    return "interleaved";
  case Placement::Wave:
    return "wave";
  case Placement::Custom:
    return "custom";
  }
  return "unknown";
}

Block makeBlock(BlockKind kind, int chunk, int mb) {
  Block b;
  b.kind = kind;
  b.chunk = chunk;
  b.mb = mb;
  return b;
}

/// Appends one device's blocks; knows whether backward is split.
class OrderWriter {
public:
  OrderWriter(std::vector<Block> &out, bool split) : out(out), split(split) {}
  void f(int chunk, int mb) {
    out.push_back(makeBlock(BlockKind::F, chunk, mb));
  }
  /// The input-gradient pass: B when fused, D when split.
  void d(int chunk, int mb) {
    out.push_back(makeBlock(split ? BlockKind::D : BlockKind::B, chunk, mb));
  }
  void w(int chunk, int mb) {
    out.push_back(makeBlock(BlockKind::W, chunk, mb));
  }
  /// A whole backward: B, or D then W.
  void backward(int chunk, int mb) {
    d(chunk, mb);
    if (split)
      w(chunk, mb);
  }

private:
  std::vector<Block> &out;
  bool split;
};

/// Single-pass placements (unidirectional, or custom with one chunk per
/// device) run stage c on chunk c's device.
std::string checkSinglePass(const Problem &p, const char *name) {
  std::string prefix = std::string(name) + " needs a unidirectional placement";
  if (p.placement == Placement::Interleaved || p.placement == Placement::Wave)
    return prefix + ", got " + placementName(p.placement);
  std::vector<int> owner(p.numDevices(), -1);
  for (int c = 0; c < p.numChunks(); ++c) {
    int &o = owner[p.chunks[c].device];
    if (o >= 0)
      return prefix + " (one chunk per device), but device " +
             std::to_string(p.chunks[c].device) + " holds chunks " +
             std::to_string(o) + " and " + std::to_string(c);
    o = c;
  }
  return "";
}

std::string checkSplit(const Problem &p, const char *name) {
  if (p.splitBackward)
    return "";
  return std::string(name) + " needs split backward (D and W), got fused B";
}

void buildGPipe(const Problem &p, Schedule &s) {
  for (int c = 0; c < p.numChunks(); ++c) {
    OrderWriter o(s.order[p.chunks[c].device], p.splitBackward);
    for (int mb = 0; mb < p.numMicrobatches; ++mb)
      o.f(c, mb);
    for (int mb = 0; mb < p.numMicrobatches; ++mb)
      o.backward(c, mb);
  }
}

void buildOneFOneB(const Problem &p, Schedule &s) {
  int stages = p.numChunks(), m = p.numMicrobatches;
  for (int st = 0; st < stages; ++st) {
    OrderWriter o(s.order[p.chunks[st].device], p.splitBackward);
    // Warm-up fills the pipeline below this stage; afterwards every forward
    // is paired with the oldest outstanding backward.
    int warmup = std::min(stages - st - 1, m);
    int fwd = 0, bwd = 0;
    while (fwd < warmup)
      o.f(st, fwd++);
    while (fwd < m) {
      o.f(st, fwd++);
      o.backward(st, bwd++);
    }
    while (bwd < m)
      o.backward(st, bwd++);
  }
}

std::string checkInterleaved(const Problem &p) {
  int devices = p.numDevices(), chunks = p.numChunks();
  std::string prefix = "interleaved needs a loop placement (chunk c on "
                       "device c mod P, a multiple of P chunks)";
  if (p.placement == Placement::Wave)
    return prefix + ", got wave";
  if (chunks % devices != 0)
    return prefix + ", got " + std::to_string(chunks) + " chunks on " +
           std::to_string(devices) + " devices";
  for (int c = 0; c < chunks; ++c)
    if (p.chunks[c].device != c % devices)
      return prefix + ", but chunk " + std::to_string(c) + " is on device " +
             std::to_string(p.chunks[c].device);
  // With one chunk per device the order is 1F1B with a deeper warm-up that
  // only costs memory; asking for it is almost certainly a mistake.
  if (chunks == devices)
    return "interleaved needs at least two chunks per device, got one; use "
           "1f1b";
  return "";
}

/// Megatron-LM's interleaved 1F1B: microbatches advance in groups of N
/// through the v local chunks (forward in chunk order, backward reversed);
/// rank r warms up with 2 (P - r - 1) + (v - 1) N forwards, then alternates.
/// Megatron requires P <= N <= M and a last group that is empty or at least
/// P long (shorter ones deadlock); N = P is its default. We take the
/// smallest such N, so any M >= P works, and N = M when M < P.
int interleavedGroupSize(int devices, int m) {
  for (int n = devices; n < m; ++n)
    if (m % n == 0 || m % n >= devices)
      return n;
  return m;
}

void buildInterleaved(const Problem &p, Schedule &s) {
  int devices = p.numDevices(), m = p.numMicrobatches;
  int v = p.numChunks() / devices, total = m * v;
  int group = interleavedGroupSize(devices, m);
  std::vector<std::pair<int, int>> table; // (mb, local chunk)
  for (int lo = 0; lo < m; lo += group) {
    int hi = std::min(lo + group, m);
    for (int j = 0; j < v; ++j)
      for (int mb = lo; mb < hi; ++mb)
        table.emplace_back(mb, j);
  }
  for (int r = 0; r < devices; ++r) {
    OrderWriter o(s.order[r], p.splitBackward);
    int warmup = std::min(total, 2 * (devices - r - 1) + (v - 1) * group);
    auto fwd = [&](int k) {
      o.f(table[k].second * devices + r, table[k].first);
    };
    auto bwd = [&](int k) {
      o.backward((v - 1 - table[k].second) * devices + r, table[k].first);
    };
    for (int k = 0; k < warmup; ++k)
      fwd(k);
    for (int k = 0; k + warmup < total; ++k) {
      fwd(k + warmup);
      bwd(k);
    }
    for (int k = total - warmup; k < total; ++k)
      bwd(k);
  }
}

/// ZB-H1 as the zero-bubble authors wrote it: stage s warms up like 1F1B,
/// then runs s (F, D) pairs with W deferred, then (F, D, W) triples, then
/// (D, W), then the deferred W's; W's always run oldest first.
void buildZBH1(const Problem &p, Schedule &s) {
  int stages = p.numChunks(), m = p.numMicrobatches;
  for (int st = 0; st < stages; ++st) {
    OrderWriter o(s.order[p.chunks[st].device], true);
    int fwd = 0, bwd = 0, wgt = 0;
    for (int i = 0; i < stages - st - 1 && fwd < m; ++i)
      o.f(st, fwd++);
    for (int i = 0; i < st && fwd < m; ++i) {
      o.f(st, fwd++);
      o.d(st, bwd++);
    }
    while (fwd < m) {
      o.f(st, fwd++);
      o.d(st, bwd++);
      o.w(st, wgt++);
    }
    while (bwd < m) {
      o.d(st, bwd++);
      o.w(st, wgt++);
    }
    while (wgt < m)
      o.w(st, wgt++);
  }
}

std::string checkWave(const Problem &p) {
  int devices = p.numDevices(), chunks = p.numChunks();
  std::string prefix = "zb-v needs a wave placement with two chunks per "
                       "device (" +
                       std::to_string(2 * devices) + " chunks)";
  if (p.placement == Placement::Interleaved ||
      p.placement == Placement::Unidirectional)
    return prefix + ", got " + placementName(p.placement);
  if (chunks != 2 * devices)
    return prefix + ", got " + std::to_string(chunks) + " chunks";
  for (int c = 0; c < chunks; ++c)
    if (p.chunks[c].device != Problem::placeChunk(Placement::Wave, c, devices))
      return prefix + ", but chunk " + std::to_string(c) + " is on device " +
             std::to_string(p.chunks[c].device);
  // With one chunk per device the order is 1F1B with a deeper warm-up that
  // only costs memory; asking for it is almost certainly a mistake.
  if (chunks == devices)
    return "interleaved needs at least two chunks per device, got one; use "
           "1f1b";
  return "";
}

/// The handcrafted ZB-V of the zero-bubble paper (as in PyTorch's
/// ScheduleZBVZeroBubble): device r holds chunk r ("down") and 2P-1-r
/// ("up"). It is laid out for max(2P - 1, M) microbatches and the surplus
/// ones are dropped, which keeps the order valid for small M.
void buildZBV(const Problem &p, Schedule &s) {
  int devices = p.numDevices(), m = p.numMicrobatches;
  int n = std::max(2 * devices - 1, m);
  for (int r = 0; r < devices; ++r) {
    std::vector<Block> all;
    OrderWriter o(all, true);
    int down = r, up = 2 * devices - 1 - r;
    int f0 = 0, f1 = 0, b0 = 0, b1 = 0;
    for (int i = 0; i < 2 * (devices - r) - 1; ++i)
      o.f(down, f0++);
    for (int i = 0; i < r; ++i) {
      o.f(up, f1++);
      o.f(down, f0++);
    }
    for (int i = 0; i < devices - r; ++i) {
      o.f(up, f1++);
      o.backward(up, b1++);
    }
    while (f1 < f0 || f0 < n) {
      if (f0 < n)
        o.f(down, f0++);
      o.backward(down, b0++);
      o.f(up, f1++);
      o.backward(up, b1++);
    }
    int w0 = b0, w1 = b1;
    for (int i = 0; i < r; ++i) {
      o.d(down, b0++);
      o.d(up, b1++);
    }
    for (int i = 0; i < devices - r; ++i) {
      o.d(down, b0++);
      o.w(down, w0++);
    }
    while (w1 < b1)
      o.w(up, w1++);
    while (w0 < b0)
      o.w(down, w0++);
    for (const Block &b : all)
      if (b.mb < m)
        s.order[r].push_back(b);
  }
}

/// DualPipeV needs the V placement of zb-v and a microbatch per chunk.
std::string checkDualPipeV(const Problem &p) {
  std::string why = checkWave(p);
  if (!why.empty())
    return "dualpipe-v" + why.substr(why.find(' '));
  if (p.numMicrobatches < p.numChunks())
    return "dualpipe-v needs at least as many microbatches as chunks (" +
           std::to_string(p.numChunks()) + "), got " +
           std::to_string(p.numMicrobatches);
  return "";
}

/// DualPipeV (DeepSeek's DualPipe cut in half, as PyTorch's
/// ScheduleDualPipeV lays it out): device r holds chunk r ("down") and
/// 2P-1-r ("up"); after a warm-up of forwards and zero-bubble input
/// gradients on the up chunk, its steady state pairs the forward of one
/// chunk with the backward of the other. The model runs each pair one after
/// the other (it does not overlap compute). A whole backward is D then W;
/// the zero-bubble parts run D and defer W to a queue drained in order.
class DualPipeVWriter {
public:
  DualPipeVWriter(const Problem &p, int device, std::vector<Block> &out)
      : down(device), up(2 * p.numDevices() - 1 - device),
        o(out, p.splitBackward), split(p.splitBackward),
        next(size_t(p.numChunks()), {0, 0}) {}
  void forward(int chunk) { o.f(chunk, next[chunk].first++); }
  /// A whole backward (B, or D then W).
  void backward(int chunk) { o.backward(chunk, next[chunk].second++); }
  /// The input gradient only; its W waits in the queue.
  void inputOnly(int chunk) {
    int mb = next[chunk].second++;
    o.d(chunk, mb);
    if (split)
      deferred.push_back({chunk, mb});
  }
  void deferredWeight() {
    if (deferred.empty())
      return;
    o.w(deferred.front().first, deferred.front().second);
    deferred.erase(deferred.begin());
  }
  void drain() {
    while (!deferred.empty())
      deferredWeight();
  }
  const int down, up;

private:
  OrderWriter o;
  bool split;
  /// Per chunk: the next forward and backward microbatch.
  std::vector<std::pair<int, int>> next;
  std::vector<std::pair<int, int>> deferred;
};

void buildDualPipeV(const Problem &p, Schedule &s) {
  int devices = p.numDevices(), m = p.numMicrobatches;
  for (int r = 0; r < devices; ++r) {
    DualPipeVWriter x(p, r, s.order[r]);
    int later = devices - r - 1; // Devices after this one.
    for (int i = 0; i < 2 * later; ++i)
      x.forward(x.down);
    for (int i = 0; i <= r; ++i) {
      x.forward(x.down);
      x.forward(x.up);
    }
    for (int i = 0; i < later; ++i) {
      x.inputOnly(x.up);
      x.deferredWeight();
      x.forward(x.up);
    }
    // Steady state: F(down) with B(up), then F(up) with B(down).
    for (int i = 0; i < m - 2 * devices + r + 1; ++i) {
      x.forward(x.down);
      x.backward(x.up);
      x.forward(x.up);
      x.backward(x.down);
    }
    for (int i = 0; i < later; ++i) {
      x.backward(x.up);
      x.forward(x.up);
      x.backward(x.down);
    }
    // Cool-down: the second half of the pairs switches to zero bubble.
    bool zeroBubble = false;
    for (int i = 0; i <= r; ++i) {
      bool half = i == (r + 1) / 2;
      zeroBubble |= half && r % 2 == 1;
      zeroBubble ? x.inputOnly(x.up) : x.backward(x.up);
      zeroBubble |= half && r % 2 == 0;
      zeroBubble ? x.inputOnly(x.down) : x.backward(x.down);
    }
    for (int i = 0; i < later; ++i) {
      x.deferredWeight();
      zeroBubble ? x.inputOnly(x.down) : x.backward(x.down);
    }
    x.drain();
  }
}

} // namespace

const char *crosspipe::sched::baselineName(BaselineKind kind) {
  switch (kind) {
  case BaselineKind::GPipe:
    return "gpipe";
  case BaselineKind::OneFOneB:
    return "1f1b";
  case BaselineKind::Interleaved:
    return "interleaved";
  case BaselineKind::ZBH1:
    return "zb-h1";
  case BaselineKind::ZBV:
    return "zb-v";
  case BaselineKind::DualPipeV:
    return "dualpipe-v";
  }
  return "unknown";
}

std::vector<BaselineKind> crosspipe::sched::allBaselineKinds() {
  return {BaselineKind::GPipe, BaselineKind::OneFOneB,
          BaselineKind::Interleaved, BaselineKind::ZBH1, BaselineKind::ZBV,
          BaselineKind::DualPipeV};
}

std::optional<BaselineKind>
crosspipe::sched::parseBaselineName(const std::string &name) {
  for (BaselineKind kind : allBaselineKinds())
    if (name == baselineName(kind))
      return kind;
  return std::nullopt;
}

BaselineResult crosspipe::sched::buildBaseline(const Problem &problem,
                                               BaselineKind kind) {
  BaselineResult result;
  std::string why = validate(problem);
  const char *name = baselineName(kind);
  if (why.empty()) {
    switch (kind) {
    case BaselineKind::GPipe:
    case BaselineKind::OneFOneB:
      why = checkSinglePass(problem, name);
      break;
    case BaselineKind::Interleaved:
      why = checkInterleaved(problem);
      break;
    case BaselineKind::ZBH1:
      why = checkSplit(problem, name);
      if (why.empty())
        why = checkSinglePass(problem, name);
      break;
    case BaselineKind::ZBV:
      why = checkSplit(problem, name);
      if (why.empty())
        why = checkWave(problem);
      break;
    case BaselineKind::DualPipeV:
      why = checkDualPipeV(problem);
      break;
    }
  }
  if (!why.empty()) {
    result.error = why;
    return result;
  }
  Schedule &s = result.schedule;
  s.algorithm = name;
  s.order.assign(problem.numDevices(), {});
  switch (kind) {
  case BaselineKind::GPipe:
    buildGPipe(problem, s);
    break;
  case BaselineKind::OneFOneB:
    buildOneFOneB(problem, s);
    break;
  case BaselineKind::Interleaved:
    buildInterleaved(problem, s);
    break;
  case BaselineKind::ZBH1:
    buildZBH1(problem, s);
    break;
  case BaselineKind::ZBV:
    buildZBV(problem, s);
    break;
  case BaselineKind::DualPipeV:
    buildDualPipeV(problem, s);
    break;
  }
  result.ok = true;
  return result;
}
