//===- VerifySchedule.cpp - Check schedules against their pipeline --------===//
//
// Proves a schedule (written by hand or by a pass) runnable: complete, in
// dependency order on each device, deadlock-free across devices, within the
// memory budget, and, where it carries times, consistent with them; its
// data-parallel collectives follow the gradients (or, for all-gathers,
// precede the forwards) they depend on. Each violation is reported at the
// offending op with a note at the related one.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Transforms/Passes.h"
#include "crosspipe/Transforms/ScheduleDiagnostics.h"
#include "crosspipe/Transforms/SimulatedSchedule.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace crosspipe {
#define GEN_PASS_DEF_VERIFYSCHEDULE
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;
using SBlock = sched::Block;
using SKind = sched::BlockKind;

namespace {
/// (kind, chunk, mb) of a whole block.
using BlockKey = std::tuple<int, int, int>;

BlockKey keyOf(const SBlock &b) { return {int(b.kind), b.chunk, b.mb}; }

/// Where each part of each block sits: device and position in its order.
struct Placed {
  int device = -1;
  int index = -1;
};

/// The blocks a block depends on (whole blocks; parts handled separately).
std::vector<SBlock> dependenciesOf(const sched::Problem &problem,
                                  const SBlock &b) {
  std::vector<SBlock> deps;
  int last = problem.numChunks() - 1;
  SKind bwd = problem.splitBackward ? SKind::D : SKind::B;
  switch (b.kind) {
  case SKind::F:
    if (b.chunk > 0)
      deps.push_back({SKind::F, b.chunk - 1, b.mb});
    break;
  case SKind::B:
  case SKind::D:
    deps.push_back({SKind::F, b.chunk, b.mb});
    if (b.chunk < last)
      deps.push_back({bwd, b.chunk + 1, b.mb});
    break;
  case SKind::W:
    deps.push_back({SKind::D, b.chunk, b.mb});
    break;
  }
  return deps;
}

struct VerifySchedulePass
    : crosspipe::impl::VerifyScheduleBase<VerifySchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    for (ScheduleOp op : getOperation().getOps<ScheduleOp>())
      if (failed(verifyOne(op)))
        return signalPassFailure();
  }

  LogicalResult verifyOne(ScheduleOp op);
  LogicalResult verifyCompleteness(ScheduleOp op, const sched::Problem &p,
                                   ScheduleFromIR &read);
  LogicalResult verifyDeviceOrder(const sched::Problem &p,
                                  ScheduleFromIR &read);
  LogicalResult verifyMemory(ScheduleOp op, const sched::Problem &p,
                             ScheduleFromIR &read,
                             const sched::SimResult &result);
  LogicalResult verifyAnnotatedTimes(const sched::Problem &p,
                                     ScheduleFromIR &read);
  LogicalResult verifyCollectives(ScheduleOp op, const sched::Problem &p,
                                  ScheduleFromIR &read);
  LogicalResult verifyCollective(AllReduceOp ar, int device,
                                 int computeBefore, const sched::Problem &p,
                                 ScheduleFromIR &read);

  /// Part index -> placement, per whole block.
  std::map<BlockKey, std::vector<Placed>> where;
};
} // namespace

LogicalResult VerifySchedulePass::verifyOne(ScheduleOp op) {
  FailureOr<LoadedSchedule> loaded = loadScheduleOp(op);
  if (failed(loaded))
    return failure();
  sched::Problem *problem = &loaded->problem;
  ScheduleFromIR *read = &loaded->read;
  if (failed(verifyCompleteness(op, *problem, *read)) ||
      failed(verifyDeviceOrder(*problem, *read)) ||
      failed(verifyCollectives(op, *problem, *read)))
    return failure();
  sched::SimResult result = sched::simulate(*problem, read->schedule);
  if (!result.ok)
    return reportSimulationFailure(op, *read, result);
  if (failed(verifyMemory(op, *problem, *read, result)))
    return failure();
  return verifyAnnotatedTimes(*problem, *read);
}

LogicalResult
VerifySchedulePass::verifyCompleteness(ScheduleOp op, const sched::Problem &p,
                                       ScheduleFromIR &read) {
  where.clear();
  for (size_t d = 0; d < read.schedule.order.size(); ++d) {
    const std::vector<SBlock> &order = read.schedule.order[d];
    for (size_t i = 0; i < order.size(); ++i) {
      const SBlock &b = order[i];
      std::vector<Placed> &parts = where[keyOf(b)];
      if (parts.empty())
        parts.resize(b.parts);
      if (int(parts.size()) != b.parts) {
        Placed other = *llvm::find_if(parts, [](Placed x) {
          return x.device >= 0;
        });
        InFlightDiagnostic diag = read.ops[d][i].emitOpError("is cut into ")
                                  << b.parts << " parts, but another part "
                                  << "of the same block into "
                                  << parts.size();
        diag.attachNote(read.ops[other.device][other.index].getLoc())
            << "other part here";
        return diag;
      }
      Placed &slot = parts[b.part];
      if (slot.device >= 0) {
        InFlightDiagnostic diag = read.ops[d][i].emitOpError("duplicates ")
                                  << describeBlock(b);
        diag.attachNote(read.ops[slot.device][slot.index].getLoc())
            << "first occurrence here";
        return diag;
      }
      slot = {int(d), int(i)};
    }
  }
  std::vector<SKind> kinds = {SKind::F};
  if (p.splitBackward)
    kinds.insert(kinds.end(), {SKind::D, SKind::W});
  else
    kinds.push_back(SKind::B);
  for (int c = 0; c < p.numChunks(); ++c)
    for (int m = 0; m < p.numMicrobatches; ++m)
      for (SKind kind : kinds) {
        SBlock whole{kind, c, m};
        auto it = where.find(keyOf(whole));
        if (it == where.end())
          return op.emitOpError("misses ")
                 << describeBlock(whole) << " in the program of device "
                 << p.chunks[c].device;
        for (size_t part = 0; part < it->second.size(); ++part)
          if (it->second[part].device < 0)
            return op.emitOpError("misses part ")
                   << part << " of " << describeBlock(whole)
                   << " in the program of device " << p.chunks[c].device;
      }
  return success();
}

LogicalResult VerifySchedulePass::verifyDeviceOrder(const sched::Problem &p,
                                                    ScheduleFromIR &read) {
  for (size_t d = 0; d < read.schedule.order.size(); ++d) {
    const std::vector<SBlock> &order = read.schedule.order[d];
    for (size_t i = 0; i < order.size(); ++i) {
      const SBlock &b = order[i];
      std::vector<std::pair<SBlock, Placed>> needs;
      const std::vector<Placed> &parts = where[keyOf(b)];
      if (b.part > 0) {
        SBlock prev = b;
        prev.part = b.part - 1;
        needs.push_back({prev, parts[b.part - 1]});
      } else {
        for (const SBlock &dep : dependenciesOf(p, b)) {
          const std::vector<Placed> &depParts = where[keyOf(dep)];
          SBlock lastPart = dep;
          lastPart.parts = int(depParts.size());
          lastPart.part = lastPart.parts - 1;
          needs.push_back({lastPart, depParts.back()});
        }
      }
      for (auto &[dep, at] : needs) {
        if (at.device != int(d) || at.index < int(i))
          continue;
        InFlightDiagnostic diag = read.ops[d][i].emitOpError("runs before ")
                                  << describeBlock(dep)
                                  << ", which it depends on, on the same "
                                     "device";
        diag.attachNote(read.ops[at.device][at.index].getLoc())
            << "dependency here";
        return diag;
      }
    }
  }
  return success();
}

LogicalResult VerifySchedulePass::verifyMemory(ScheduleOp op,
                                               const sched::Problem &p,
                                               ScheduleFromIR &read,
                                               const sched::SimResult &result) {
  SKind release = p.splitBackward ? SKind::W : SKind::B;
  for (size_t d = 0; d < read.schedule.order.size(); ++d) {
    uint64_t limit = p.memoryLimit(int(d));
    if (limit == sched::kUnlimited)
      continue;
    // (time, +/- bytes, index); releases sort before acquisitions at equal
    // times because memory freed at t is usable at t.
    struct Event {
      double time;
      int64_t delta;
      int index;
    };
    std::vector<Event> events;
    const std::vector<SBlock> &order = read.schedule.order[d];
    for (size_t i = 0; i < order.size(); ++i) {
      const SBlock &b = order[i];
      int64_t bytes = int64_t(p.chunks[b.chunk].activationBytes);
      if (b.kind == SKind::F && b.part == 0)
        events.push_back({result.times[d][i].startMs, bytes, int(i)});
      if (b.kind == release && b.part == b.parts - 1)
        events.push_back({result.times[d][i].endMs, -bytes, int(i)});
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event &a, const Event &b) {
                       return a.time != b.time ? a.time < b.time
                                               : a.delta < b.delta;
                     });
    int64_t live = 0;
    for (const Event &e : events) {
      live += e.delta;
      if (live <= int64_t(limit))
        continue;
      std::string needText, limitText;
      llvm::raw_string_ostream needOs(needText), limitOs(limitText);
      printByteSize(needOs, uint64_t(live));
      printByteSize(limitOs, limit);
      return read.ops[d][e.index].emitOpError("raises the activation memory "
                                              "of device ")
             << d << " to " << needText << ", above its budget of "
             << limitText;
    }
  }
  return success();
}

LogicalResult
VerifySchedulePass::verifyAnnotatedTimes(const sched::Problem &p,
                                         ScheduleFromIR &read) {
  // Only blocks that carry times are checked, against what the model allows
  // at the least: the previous block on the device must have ended and a
  // producer's output must have ended (plus the link latency when remote).
  constexpr double eps = 1e-6;
  for (size_t d = 0; d < read.ops.size(); ++d) {
    ComputeOp previous;
    for (size_t i = 0; i < read.ops[d].size(); ++i) {
      ComputeOp op = read.ops[d][i];
      if (!op.getStartAttr()) {
        previous = {};
        continue;
      }
      double start = op.getStartAttr().getMs();
      if (previous && start + eps < previous.getEndAttr().getMs()) {
        InFlightDiagnostic diag = op.emitOpError("starts at ")
                                  << formatNumber(start)
                                  << " ms, before the previous block on "
                                     "device "
                                  << d << " ends";
        diag.attachNote(previous.getLoc()) << "previous block here";
        return diag;
      }
      previous = op;
      const SBlock &b = read.schedule.order[d][i];
      if (b.part > 0)
        continue;
      for (const SBlock &dep : dependenciesOf(p, b)) {
        const std::vector<Placed> &parts = where[keyOf(dep)];
        Placed at = parts.back();
        ComputeOp producer = read.ops[at.device][at.index];
        if (!producer.getEndAttr())
          continue;
        double ready = producer.getEndAttr().getMs();
        if (at.device != int(d))
          if (const sched::LinkCost *cost = p.linkCost(at.device, int(d)))
            ready += cost->latencyMs;
        if (start + eps >= ready)
          continue;
        InFlightDiagnostic diag = op.emitOpError("starts at ")
                                  << formatNumber(start) << " ms, before its "
                                  << "input from "
                                  << describeBlock(parts.size() > 1
                                                       ? read.schedule
                                                             .order[at.device]
                                                                   [at.index]
                                                       : dep)
                                  << " can arrive (" << formatNumber(ready)
                                  << " ms)";
        diag.attachNote(producer.getLoc()) << "producer here";
        return diag;
      }
    }
  }
  return success();
}

/// Ties the schedule's collectives together (one bucket count, all-reduce or
/// ZeRO-1, no duplicates), checks each against its dependencies, and checks
/// that the collectives of one device, where timed, run one at a time.
LogicalResult VerifySchedulePass::verifyCollectives(ScheduleOp op,
                                                    const sched::Problem &p,
                                                    ScheduleFromIR &read) {
  AllReduceOp first, firstZero1, firstAllReduce;
  std::map<std::tuple<int64_t, int, int64_t>, AllReduceOp> seen;
  for (ProgramOp program : op.getPrograms()) {
    int device = int(program.getDevice()), computeBefore = 0;
    std::vector<AllReduceOp> timed;
    for (Operation &nested : program.getBody().front()) {
      auto ar = dyn_cast<AllReduceOp>(nested);
      if (!ar) {
        ++computeBefore;
        continue;
      }
      int64_t buckets = ar.getBuckets().value_or(1);
      bool allReduce = ar.getKindOrDefault() == CollectiveKind::all_reduce;
      bool gather = ar.getKindOrDefault() == CollectiveKind::all_gather;
      auto conflict = [&](AllReduceOp other, const Twine &what) {
        InFlightDiagnostic diag = ar.emitOpError(what);
        diag.attachNote(other.getLoc()) << "other collective here";
        return diag;
      };
      if (first && !gather && first.getBuckets().value_or(1) != buckets)
        return conflict(first, "splits chunk " + Twine(ar.getChunk()) +
                                   "'s gradient into " + Twine(buckets) +
                                   " buckets, but another collective into " +
                                   Twine(first.getBuckets().value_or(1)));
      if (!first && !gather)
        first = ar;
      if (allReduce && firstZero1)
        return conflict(firstZero1, "is an all-reduce, but the schedule "
                                    "also has ZeRO-1 collectives");
      if (!allReduce && firstAllReduce)
        return conflict(firstAllReduce,
                        "is a ZeRO-1 collective, but the schedule also has "
                        "all-reduces");
      (allReduce ? firstAllReduce : firstZero1) = ar;
      auto key = std::make_tuple(ar.getChunk(), int(ar.getKindOrDefault()),
                                 ar.getBucket().value_or(0));
      auto [it, inserted] = seen.try_emplace(key, ar);
      if (!inserted)
        return conflict(it->second, "duplicates the " +
                                        stringifyCollectiveKind(
                                            ar.getKindOrDefault()) +
                                        " of chunk " + Twine(ar.getChunk()));
      if (failed(verifyCollective(ar, device, computeBefore, p, read)))
        return failure();
      if (ar.getStartAttr() && ar.getEndAttr())
        timed.push_back(ar);
    }
    llvm::stable_sort(timed, [](AllReduceOp a, AllReduceOp b) {
      return a.getStartAttr().getMs() < b.getStartAttr().getMs();
    });
    for (size_t i = 1; i < timed.size(); ++i)
      if (timed[i].getStartAttr().getMs() + 1e-6 <
          timed[i - 1].getEndAttr().getMs()) {
        InFlightDiagnostic diag =
            timed[i].emitOpError("starts at ")
            << formatNumber(timed[i].getStartAttr().getMs())
            << " ms, while another collective still runs on the "
               "communication stream of device "
            << device;
        diag.attachNote(timed[i - 1].getLoc()) << "other collective here";
        return diag;
      }
  }
  return success();
}

/// An all-gather precedes (in program order and in time) every F of its
/// chunk. A gradient collective follows, for every microbatch, the part of
/// the releasing block (W, or B when fused) that completes its bucket's
/// share, and starts no earlier than that share is done.
LogicalResult VerifySchedulePass::verifyCollective(AllReduceOp ar, int device,
                                                   int computeBefore,
                                                   const sched::Problem &p,
                                                   ScheduleFromIR &read) {
  constexpr double eps = 1e-6;
  int chunk = int(ar.getChunk());
  if (chunk >= p.numChunks())
    return success(); // The op verifier reports it.
  bool gather = ar.getKindOrDefault() == CollectiveKind::all_gather;
  int buckets = int(ar.getBuckets().value_or(1));
  int bucket = int(ar.getBucket().value_or(0));
  SKind release = p.splitBackward ? SKind::W : SKind::B;
  for (int mb = 0; mb < p.numMicrobatches; ++mb) {
    const std::vector<Placed> &parts =
        where[keyOf(SBlock{gather ? SKind::F : release, chunk, mb})];
    if (parts.empty())
      continue;
    int partIndex = 0;
    if (!gather) {
      // The part that completes the share (bucket + 1) / buckets.
      int64_t num = int64_t(bucket + 1) * int64_t(parts.size());
      partIndex = int((num + buckets - 1) / buckets - 1);
    }
    Placed at = parts[partIndex];
    if (at.device != device)
      continue;
    ComputeOp compute = read.ops[at.device][at.index];
    const SBlock &block = read.schedule.order[at.device][at.index];
    std::string what =
        gather ? "the F that needs the parameters it gathers"
               : "the " + std::string(sched::blockKindName(release)) +
                     " whose gradient it reduces";
    bool misplaced = gather ? at.index < computeBefore
                            : at.index >= computeBefore;
    if (misplaced) {
      InFlightDiagnostic diag = ar.emitOpError("comes ")
                                << (gather ? "after " : "before ")
                                << describeBlock(block) << ", " << what;
      diag.attachNote(compute.getLoc()) << "block here";
      return diag;
    }
    if (!ar.getStartAttr() || !ar.getEndAttr() || !compute.getStartAttr() ||
        !compute.getEndAttr())
      continue;
    if (gather) {
      double end = ar.getEndAttr().getMs();
      double start = compute.getStartAttr().getMs();
      if (end <= start + eps)
        continue;
      InFlightDiagnostic diag = ar.emitOpError("ends at ")
                                << formatNumber(end) << " ms, after "
                                << describeBlock(block) << " starts ("
                                << formatNumber(start) << " ms), " << what;
      diag.attachNote(compute.getLoc()) << "block here";
      return diag;
    }
    double done = sched::bucketDoneMs(
        block,
        sched::Interval{compute.getStartAttr().getMs(),
                        compute.getEndAttr().getMs()},
        bucket, buckets);
    double start = ar.getStartAttr().getMs();
    if (start + eps >= done)
      continue;
    InFlightDiagnostic diag = ar.emitOpError("starts at ")
                              << formatNumber(start)
                              << " ms, before its gradient bucket is complete "
                                 "in "
                              << describeBlock(block) << " ("
                              << formatNumber(done) << " ms)";
    diag.attachNote(compute.getLoc()) << "block here";
    return diag;
  }
  return success();
}
