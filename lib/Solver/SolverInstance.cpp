//===- SolverInstance.cpp - Tasks, precedences and resources --------------===//
//
// Translates the simulator's semantics into lagged precedences between
// integer start times. Each block type of a chunk runs in microbatch order
// (microbatches are interchangeable, so some optimum does), which makes every
// per-type sequence a chain and every single-stream link a FIFO chain. A
// message occupies its link for its bandwidth time from some moment after
// its producer ends and arrives a latency later; a link without bandwidth
// time never queues, so its messages become plain lags. Memory becomes
// precedences where one chunk's activation count binds, and a cumulative
// group otherwise. Which block feeds which, and which block releases an
// activation, come from BlockGraph.h; the problem is checked by its
// validate() and validateMemoryBudget(). Order pairs and transitivity are
// derived in SolverPairs.cpp.
//
//===----------------------------------------------------------------------===//

#include "SolverInstance.h"

#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;

namespace {

/// Times stay well inside Gecode's integer range (about 1e9) even after
/// adding durations to start times.
constexpr double kMaxUnits = 2e8;
/// Resolution used when no unit makes every duration exact: fine enough
/// that the rounding stays far below any gap worth reporting.
constexpr double kInexactUnits = 2e7;

bool isIntegral(double units) {
  return std::fabs(units - std::round(units)) <=
         1e-9 * std::max(1.0, std::fabs(units));
}

/// The units per ms of a resolution of `resolutionMs`, at most `limit`
/// (the horizon must stay in range), and whether every value is a whole
/// number of them.
std::pair<double, bool> givenScale(const std::vector<double> &values,
                                   double resolutionMs, double limit) {
  double s = std::min(1.0 / resolutionMs, limit);
  bool exact = std::all_of(values.begin(), values.end(),
                           [&](double v) { return isIntegral(v * s); });
  return {s, exact};
}

/// The coarsest unit 1/s ms (s = 2^i 5^j) that makes every value a whole
/// number of units; else the finest that keeps the horizon in range.
std::pair<double, bool> chooseScale(const std::vector<double> &values,
                                    double horizonMs) {
  std::vector<double> scales;
  for (double two = 1; two <= 1e9; two *= 2)
    for (double five = 1; two * five <= 1e9; five *= 5)
      scales.push_back(two * five);
  std::sort(scales.begin(), scales.end());
  double limit = kMaxUnits / std::max(horizonMs, 1e-9);
  for (double s : scales) {
    if (s > limit)
      break;
    bool exact = std::all_of(values.begin(), values.end(),
                             [&](double v) { return isIntegral(v * s); });
    if (exact)
      return {s, true};
  }
  double target = std::min(limit, kInexactUnits / std::max(horizonMs, 1e-9));
  double best = 1;
  for (double s : scales)
    if (s <= target)
      best = s;
  return {best, false};
}

class Builder {
public:
  Builder(const Problem &p, Instance &inst, const BuildLimits &limits)
      : p(p), inst(inst), limits(limits), graph(p) {}
  std::string build(const Schedule &seed, double upperBoundMs);

private:
  /// The slot's block kind of a chunk, for one microbatch, as the simulator
  /// times it.
  double slotMs(int chunk, int slot) const {
    Block b;
    b.kind = graph.kindOfSlot(slot);
    b.chunk = chunk;
    return blockDurationMs(p, b);
  }
  int slotDuration(int chunk, int slot) const {
    return durations[chunk * inst.slots + slot];
  }
  int releaseSlot() const { return BlockGraph::slotOf(graph.releaseKind()); }
  int addTask(Task task) {
    inst.tasks.push_back(task);
    return int(inst.tasks.size()) - 1;
  }
  void arc(int from, int to, int lag) { inst.arcs.push_back({from, to, lag}); }
  std::vector<double> modelValues() const;
  std::string chooseUnits(double upperBoundMs);
  void addGatherEnds();
  void addComputeTasks();
  void addMessages();
  void addDependency(int from, int to, int srcDevice, int dstDevice,
                     uint64_t bytes, int stream);
  void addQueues();
  void addFifoPairs(const std::map<int, std::vector<int>> &streams);
  void addMemory();
  void addSharedBudget(int device, uint64_t limit,
                       const std::vector<int> &held);
  void addDevicesAndSinks();
  void addCollectives();

  const Problem &p;
  Instance &inst;
  const BuildLimits &limits;
  BlockGraph graph;
  std::vector<int> durations; ///< [chunk * slots + slot]
  std::vector<int> gatherEnd;
  /// Messages of each link, per stream (boundary and direction).
  std::map<LinkId, std::map<int, std::vector<int>>> linkStreams;
};

/// Every duration that enters the model, to pick an exact unit.
std::vector<double> Builder::modelValues() const {
  std::vector<double> values;
  int nb = std::max(p.dpBuckets, 1);
  for (int c = 0; c < inst.numChunks; ++c) {
    for (int slot = 0; slot < inst.slots; ++slot)
      values.push_back(slotMs(c, slot));
    if (c + 1 < inst.numChunks) {
      int a = p.chunks[c].device, b = p.chunks[c + 1].device;
      for (const LinkCost *cost : {p.linkCost(a, b), p.linkCost(b, a)})
        if (cost && a != b) {
          values.push_back(cost->latencyMs);
          values.push_back(cost->bandwidthMs(p.chunks[c].messageBytes));
        }
    }
    if (p.dpDegree > 1) {
      for (CollectiveKind k :
           {CollectiveKind::AllReduce, CollectiveKind::ReduceScatter,
            CollectiveKind::AllGather})
        values.push_back(p.collectiveMs(c, k));
      for (int b = 0; b < nb; ++b)
        values.push_back(slotMs(c, releaseSlot()) * double(b + 1) / nb);
    }
  }
  return values;
}

/// Picks the time unit and the horizon and converts the block durations.
/// Besides the problem's own values (checked by validate()), the model
/// needs derived ones (link times per message, bucket shares), which must
/// be finite too.
std::string Builder::chooseUnits(double upperBoundMs) {
  std::vector<double> values = modelValues();
  for (double v : values)
    if (!std::isfinite(v) || v < 0)
      return "the problem has a negative or non-finite duration";
  auto [scale, exact] =
      limits.timeResolutionMs > 0
          ? givenScale(values, limits.timeResolutionMs,
                       kMaxUnits / std::max(upperBoundMs, 1e-9))
          : chooseScale(values, upperBoundMs);
  inst.unitsPerMs = scale;
  inst.exactTimes = exact;
  inst.horizon = int(std::min(kMaxUnits * 2, std::ceil(upperBoundMs * scale) +
                                                 1.0 + double(values.size())));
  durations.resize(size_t(inst.numChunks) * inst.slots);
  for (int c = 0; c < inst.numChunks; ++c)
    for (int slot = 0; slot < inst.slots; ++slot)
      durations[c * inst.slots + slot] = inst.toUnits(slotMs(c, slot));
  return "";
}

/// ZeRO-1 all-gathers run first on each communication resource, in chunk
/// order, so their ends are constants: releases of the chunks' forwards.
void Builder::addGatherEnds() {
  if (!p.zero1 || p.dpDegree <= 1)
    return;
  gatherEnd.assign(inst.numChunks, 0);
  std::vector<int> commFree(p.numDevices(), 0);
  for (int c = 0; c < inst.numChunks; ++c) {
    int &free = commFree[p.chunks[c].device];
    free += inst.toUnits(p.collectiveMs(c, CollectiveKind::AllGather));
    gatherEnd[c] = free;
    inst.minMakespan = std::max(inst.minMakespan, free);
  }
}

void Builder::addComputeTasks() {
  int m = inst.numMicrobatches;
  for (int c = 0; c < inst.numChunks; ++c)
    for (int mb = 0; mb < m; ++mb)
      for (int slot = 0; slot < inst.slots; ++slot) {
        Task t;
        t.kind = TaskKind::Compute;
        t.device = p.chunks[c].device;
        t.duration = slotDuration(c, slot);
        t.block.kind = graph.kindOfSlot(slot);
        t.block.chunk = c;
        t.block.mb = mb;
        t.release = slot == 0 && !gatherEnd.empty() ? gatherEnd[c] : 0;
        addTask(t);
      }
  for (int c = 0; c < inst.numChunks; ++c)
    for (int mb = 0; mb < m; ++mb)
      for (int slot = 0; slot < inst.slots; ++slot) {
        int self = inst.taskOf(c, mb, slot);
        // Microbatch order within each block type of a chunk.
        if (mb + 1 < m)
          arc(self, inst.taskOf(c, mb + 1, slot), slotDuration(c, slot));
        // Edges inside the chunk (F before the backward, D before W): same
        // device, no message.
        Step from{graph.kindOfSlot(slot), c};
        for (Step to : graph.outputsOf(from))
          if (!BlockGraph::crossesStages(from, to))
            arc(self, inst.taskOf(c, mb, BlockGraph::slotOf(to.kind)),
                slotDuration(c, slot));
      }
}

/// The edges across each stage boundary c, per microbatch: the activation
/// F(c) -> F(c + 1), then the gradient back from chunk c + 1 to c.
void Builder::addMessages() {
  for (int c = 0; c + 1 < inst.numChunks; ++c) {
    uint64_t bytes = p.chunks[c].messageBytes;
    for (int mb = 0; mb < inst.numMicrobatches; ++mb)
      for (Step from :
           {Step{BlockKind::F, c}, Step{graph.backwardKind(), c + 1}})
        for (Step to : graph.outputsOf(from)) {
          if (!BlockGraph::crossesStages(from, to))
            continue;
          // Stream ids: 2c for activations, 2c + 1 for gradients.
          int stream = 2 * BlockGraph::boundaryOf(from, to) +
                       (BlockGraph::isGradient(from) ? 1 : 0);
          addDependency(
              inst.taskOf(from.chunk, mb, BlockGraph::slotOf(from.kind)),
              inst.taskOf(to.chunk, mb, BlockGraph::slotOf(to.kind)),
              p.chunks[from.chunk].device, p.chunks[to.chunk].device, bytes,
              stream);
        }
  }
}

void Builder::addDependency(int from, int to, int srcDevice, int dstDevice,
                            uint64_t bytes, int stream) {
  int lag = inst.tasks[from].duration;
  if (srcDevice == dstDevice) {
    arc(from, to, lag);
    return;
  }
  const LinkCost *cost = p.linkCost(srcDevice, dstDevice);
  int latency = cost ? inst.toUnits(cost->latencyMs) : 0;
  int bandwidth = cost ? inst.toUnits(cost->bandwidthMs(bytes)) : 0;
  if (bandwidth == 0) {
    arc(from, to, lag + latency);
    return;
  }
  Task msg;
  msg.kind = TaskKind::Message;
  msg.duration = bandwidth;
  msg.device = srcDevice;
  msg.block = inst.tasks[from].block;
  msg.producer = from;
  int id = addTask(msg);
  arc(from, id, lag);
  arc(id, to, bandwidth + latency);
  linkStreams[p.linkBetween(srcDevice, dstDevice)][stream].push_back(id);
}

/// A stream's messages leave in microbatch order (their producers form a
/// chain), so FIFO keeps them in that order on the link. A link with one
/// stream is then fully ordered; several streams share a queue whose order
/// between streams follows the send times.
void Builder::addQueues() {
  for (auto &[link, streams] : linkStreams) {
    std::vector<int> all;
    for (auto &[stream, msgs] : streams) {
      for (size_t i = 0; i + 1 < msgs.size(); ++i)
        arc(msgs[i], msgs[i + 1], inst.tasks[msgs[i]].duration);
      all.insert(all.end(), msgs.begin(), msgs.end());
    }
    if (streams.size() < 2)
      continue;
    inst.queues.push_back(all);
    addFifoPairs(streams);
  }
}

/// One pair per two messages of different streams on a queued link.
void Builder::addFifoPairs(const std::map<int, std::vector<int>> &streams) {
  for (auto a = streams.begin(); a != streams.end(); ++a)
    for (auto b = std::next(a); b != streams.end(); ++b)
      for (int x : a->second)
        for (int y : b->second) {
          // The simulator commits messages sent at the same instant in
          // (device, position) order.
          const Task &tx = inst.tasks[x], &ty = inst.tasks[y];
          bool xWins = tx.device != ty.device ? tx.device < ty.device
                                              : tx.producer < ty.producer;
          FifoPair pair;
          pair.a = x;
          pair.b = y;
          pair.aWinsTie = xWins;
          pair.sameSender = tx.device == ty.device;
          inst.fifo.push_back(pair);
        }
}

/// Expects validateMemoryBudget() to hold: every budget fits one
/// microbatch, so each chunk may keep at least one activation. Memory is
/// BlockGraph.h's chunkMemory: a microbatch holds the activation a from its
/// F's start to its backward's (B or D) end, and what W needs, h, on to W's
/// end. A recomputing chunk holds only its checkpoint until the backward
/// starts and the whole activation while it runs: always the shared
/// budget, whose pieces follow that exactly.
void Builder::addMemory() {
  int m = inst.numMicrobatches, back = 1;
  int wSlot = BlockGraph::slotOf(BlockKind::W);
  for (int d = 0, e = p.numDevices(); d < e; ++d) {
    uint64_t limit = p.memoryLimit(d);
    if (limit == kUnlimited)
      continue;
    std::vector<int> held;
    uint64_t worst = 0;
    bool partial = false, recomputes = false;
    for (int c : p.chunksOnDevice(d)) {
      ChunkMemory mem = chunkMemory(p, c);
      uint64_t a = mem.activationBytes, h = mem.wgradBytes;
      if (a == 0)
        continue;
      if (mem.recomputeBytes() > 0) {
        // Each microbatch between F and the backward's end holds at least
        // the checkpoint, so at most limit / kept of them are; the rest is
        // the shared budget's.
        if (uint64_t kept = mem.keptBytes) {
          uint64_t k = limit / kept;
          for (int mb = 0; mb + k < uint64_t(m); ++mb)
            arc(inst.taskOf(c, mb, back), inst.taskOf(c, mb + int(k), 0),
                slotDuration(c, back));
        }
        recomputes = true;
        held.push_back(c);
        continue;
      }
      // At most k = limit / a microbatches of this chunk alone are between
      // F and the end of the backward (each holds a there): F(c, mb + k)
      // waits for that end of (c, mb); likewise for what W keeps until W's
      // end. Exact when the chunk is alone on the device and h is a (or 0).
      uint64_t k = limit / a;
      int until = h == a ? releaseSlot() : back;
      for (int mb = 0; mb + k < uint64_t(m); ++mb)
        arc(inst.taskOf(c, mb, until), inst.taskOf(c, mb + int(k), 0),
            slotDuration(c, until));
      uint64_t inFlight = std::min<uint64_t>(k, uint64_t(m));
      worst += inFlight * a;
      if (h > 0 && h < a) {
        partial = true;
        uint64_t kw = std::max(limit / h, k);
        for (int mb = 0; mb + kw < uint64_t(m); ++mb)
          arc(inst.taskOf(c, mb, wSlot), inst.taskOf(c, mb + int(kw), 0),
              slotDuration(c, wSlot));
        worst += (std::min<uint64_t>(kw, uint64_t(m)) - inFlight) * h;
      }
      held.push_back(c);
    }
    if (!recomputes && !partial && (held.size() < 2 || worst <= limit))
      continue;
    if (!recomputes && worst <= limit)
      continue;
    addSharedBudget(d, limit, held);
  }
}

/// The budget as a cumulative resource in units of the held sizes' common
/// divisor (rounded conservatively if huge): several chunks share it, or
/// what W keeps outlives the rest of the activation.
void Builder::addSharedBudget(int device, uint64_t limit,
                              const std::vector<int> &held) {
  int m = inst.numMicrobatches, back = 1;
  int wSlot = BlockGraph::slotOf(BlockKind::W);
  // (height, slot that starts it, slot that ends it) per chunk, those that
  // start at one slot together: the whole activation from F to the
  // release, or the part W does not need to the backward and the rest to
  // W. Recomputing, the checkpoint from F (as much of it as W keeps to W,
  // the rest to the backward's end), and from the backward's start what W
  // keeps beyond it to W and the rest of the activation to the backward's
  // end: the checkpoint until the backward, all of the activation during
  // it, what W keeps after it.
  struct Piece {
    uint64_t bytes;
    int from, until;
  };
  auto pieces = [&](int c) {
    ChunkMemory mem = chunkMemory(p, c);
    std::vector<Piece> out;
    if (mem.recomputeBytes() > 0) {
      uint64_t kept = mem.keptBytes, h = mem.wgradBytes;
      uint64_t both = std::min(kept, h);
      for (Piece piece :
           {Piece{both, 0, wSlot}, Piece{kept - both, 0, back},
            Piece{h - both, back, wSlot},
            Piece{mem.activationBytes - std::max(kept, h), back, back}})
        if (piece.bytes > 0)
          out.push_back(piece);
      return out;
    }
    if (mem.wgradBytes == mem.activationBytes || mem.wgradBytes == 0) {
      out.push_back({mem.activationBytes, 0, mem.wgradBytes ? wSlot : back});
      return out;
    }
    out.push_back({mem.backwardFreeBytes(), 0, back});
    out.push_back({mem.wgradBytes, 0, wSlot});
    return out;
  };
  uint64_t g = limit;
  for (int c : held)
    for (const Piece &piece : pieces(c))
      g = std::gcd(g, piece.bytes);
  uint64_t scale = g, largest = limit / g;
  if (largest > (uint64_t(1) << 24))
    scale = g * ((largest >> 24) + 1);
  MemoryGroup group;
  group.device = device;
  group.capacity = int(limit / scale);
  for (int c : held)
    for (int mb = 0; mb < m; ++mb)
      for (const Piece &piece : pieces(c)) {
        group.first.push_back(inst.taskOf(c, mb, piece.from));
        group.last.push_back(inst.taskOf(c, mb, piece.until));
        group.height.push_back(int((piece.bytes + scale - 1) / scale));
      }
  inst.memory.push_back(std::move(group));
}

/// Each device runs its compute tasks one at a time; the last microbatch's
/// backward blocks of every chunk end the step.
void Builder::addDevicesAndSinks() {
  int m = inst.numMicrobatches;
  inst.devices.assign(p.numDevices(), {});
  for (int c = 0; c < inst.numChunks; ++c)
    for (int mb = 0; mb < m; ++mb)
      for (int slot = 0; slot < inst.slots; ++slot)
        inst.devices[p.chunks[c].device].push_back(inst.taskOf(c, mb, slot));
  for (int c = 0; c < inst.numChunks; ++c)
    for (int slot = 1; slot < inst.slots; ++slot)
      inst.sinks.push_back(inst.taskOf(c, m - 1, slot));
}

/// A bucket's collective may start once the chunk's last releasing block
/// (W, or B when fused; the last microbatch's, by the chain) has done its
/// share of the work; one collective at a time per device.
void Builder::addCollectives() {
  if (p.dpDegree <= 1)
    return;
  int nb = std::max(p.dpBuckets, 1), release = releaseSlot();
  CollectiveKind kind =
      p.zero1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  inst.comm.assign(p.numDevices(), {});
  for (int c = 0; c < inst.numChunks; ++c) {
    int dur = inst.toUnits(p.collectiveMs(c, kind));
    if (dur == 0)
      continue;
    int last = inst.taskOf(c, inst.numMicrobatches - 1, release);
    double relMs = inst.toMs(slotDuration(c, release));
    for (int b = 0; b < nb; ++b) {
      Task t;
      t.kind = TaskKind::Collective;
      t.duration = dur;
      t.device = p.chunks[c].device;
      t.chunk = c;
      t.bucket = b;
      int id = addTask(t);
      int lag = b + 1 == nb ? slotDuration(c, release)
                            : inst.toUnits(relMs * double(b + 1) / nb);
      arc(last, id, lag);
      inst.comm[t.device].push_back(id);
      inst.sinks.push_back(id);
    }
  }
}

std::string Builder::build(const Schedule &seed, double upperBoundMs) {
  inst = Instance();
  inst.numChunks = p.numChunks();
  inst.numMicrobatches = p.numMicrobatches;
  inst.slots = graph.kindsPerChunk();
  if (std::string err = validate(p); !err.empty())
    return err;
  if (std::string err = chooseUnits(upperBoundMs); !err.empty())
    return err;
  addGatherEnds();
  addComputeTasks();
  addMessages();
  if (limits.expired())
    return kOutOfTime;
  addQueues();
  if (std::string err = validateMemoryBudget(p); !err.empty())
    return err;
  addMemory();
  addDevicesAndSinks();
  addCollectives();
  if (limits.expired())
    return kOutOfTime;
  return deriveOrderPairs(seed, inst, limits);
}

} // namespace

int Instance::toUnits(double ms) const {
  double u = ms * unitsPerMs;
  double r = std::round(u);
  if (std::fabs(u - r) <= 1e-9 * std::max(1.0, std::fabs(u)))
    return int(r);
  // Rounded up: the model never promises a time the simulator cannot meet.
  return int(std::ceil(u));
}

std::string crosspipe::sched::solver::buildInstance(const Problem &problem,
                                                    const Schedule &seed,
                                                    double upperBoundMs,
                                                    Instance &out,
                                                    const BuildLimits &limits) {
  return Builder(problem, out, limits).build(seed, upperBoundMs);
}
