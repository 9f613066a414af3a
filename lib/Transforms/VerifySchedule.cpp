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
#include "crosspipe/Interop/ScheduleDiagnostics.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/ScheduleCheck.h"
#include "crosspipe/Transforms/Passes.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace crosspipe {
#define GEN_PASS_DEF_VERIFYSCHEDULEPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;
using SBlock = sched::Block;
using SKind = sched::BlockKind;

namespace {
using sched::BlockAt;

struct VerifySchedulePass
    : crosspipe::impl::VerifySchedulePassBase<VerifySchedulePass> {
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
  LogicalResult verifyCollective(CollectiveOp ar, int device, int computeBefore,
                                 const sched::Problem &p, ScheduleFromIR &read);

  /// Where every part of every block sits.
  sched::BlockIndex where;
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

LogicalResult VerifySchedulePass::verifyCompleteness(ScheduleOp op,
                                                     const sched::Problem &p,
                                                     ScheduleFromIR &read) {
  sched::ScheduleFault f = sched::checkComplete(p, read.schedule, where);
  auto opAt = [&](BlockAt at) { return read.ops[at.device][at.index]; };
  switch (f.kind) {
  case sched::ScheduleFault::PartCount: {
    InFlightDiagnostic diag = opAt(f.at).emitOpError("is cut into ")
                              << f.block.parts << " parts, but another part "
                              << "of the same block into " << f.otherParts;
    diag.attachNote(opAt(f.other).getLoc()) << "other part here";
    return diag;
  }
  case sched::ScheduleFault::Duplicate: {
    InFlightDiagnostic diag = opAt(f.at).emitOpError("duplicates ")
                              << describeBlock(f.block);
    diag.attachNote(opAt(f.other).getLoc()) << "first occurrence here";
    return diag;
  }
  case sched::ScheduleFault::Missing:
    if (f.missingPart) {
      sched::Block whole{f.block.kind, f.block.chunk, f.block.mb};
      return op.emitOpError("misses part ")
             << f.block.part << " of " << describeBlock(whole)
             << " in the program of device " << f.device;
    }
    return op.emitOpError("misses ")
           << describeBlock(f.block) << " in the program of device "
           << f.device;
  default:
    return success();
  }
}

LogicalResult VerifySchedulePass::verifyDeviceOrder(const sched::Problem &p,
                                                    ScheduleFromIR &read) {
  sched::ScheduleFault f = sched::checkDeviceOrder(p, read.schedule, where);
  if (!f)
    return success();
  InFlightDiagnostic diag =
      read.ops[f.at.device][f.at.index].emitOpError("runs before ")
      << describeBlock(f.block)
      << ", which it depends on, on the same "
         "device";
  diag.attachNote(read.ops[f.other.device][f.other.index].getLoc())
      << "dependency here";
  return diag;
}

LogicalResult VerifySchedulePass::verifyMemory(ScheduleOp op,
                                               const sched::Problem &p,
                                               ScheduleFromIR &read,
                                               const sched::SimResult &result) {
  sched::ScheduleFault f = sched::checkMemory(p, read.schedule, result);
  if (!f)
    return success();
  std::string needText, limitText;
  llvm::raw_string_ostream needOs(needText), limitOs(limitText);
  printByteSize(needOs, f.bytes);
  printByteSize(limitOs, f.limit);
  return read.ops[f.at.device][f.at.index].emitOpError(
             "raises the activation memory of device ")
         << f.device << " to " << needText << ", above its budget of "
         << limitText;
}

LogicalResult VerifySchedulePass::verifyAnnotatedTimes(const sched::Problem &p,
                                                       ScheduleFromIR &read) {
  // Only blocks that carry times are checked, against what the model allows
  // at the least: the previous block on the device must have ended and a
  // producer's output must have ended (plus the link latency when remote).
  constexpr double eps = 1e-6;
  sched::BlockGraph graph(p);
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
      for (sched::Step in : graph.inputsOf({b.kind, b.chunk})) {
        SBlock dep{in.kind, in.chunk, b.mb};
        const std::vector<BlockAt> &parts =
            *where.find(in.kind, in.chunk, b.mb);
        BlockAt at = parts.back();
        ComputeOp producer = read.ops[at.device][at.index];
        if (!producer.getEndAttr())
          continue;
        double ready = producer.getEndAttr().getMs();
        if (at.device != int(d))
          if (const sched::LinkCost *cost = p.linkCost(at.device, int(d)))
            ready += cost->latencyMs;
        if (start + eps >= ready)
          continue;
        InFlightDiagnostic diag =
            op.emitOpError("starts at ")
            << formatNumber(start) << " ms, before its "
            << "input from "
            << describeBlock(parts.size() > 1
                                 ? read.schedule.order[at.device][at.index]
                                 : dep)
            << " can arrive (" << formatNumber(ready) << " ms)";
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
  CollectiveOp first, firstZero1, firstAllReduce;
  std::map<std::tuple<int64_t, int, int64_t>, CollectiveOp> seen;
  for (ProgramOp program : op.getPrograms()) {
    int device = int(program.getDevice()), computeBefore = 0;
    std::vector<CollectiveOp> timed;
    for (Operation &nested : program.getBody().front()) {
      auto ar = dyn_cast<CollectiveOp>(nested);
      if (!ar) {
        ++computeBefore;
        continue;
      }
      int64_t buckets = ar.getBuckets().value_or(1);
      bool allReduce = ar.getKindOrDefault() == CollectiveKind::all_reduce;
      bool gather = ar.getKindOrDefault() == CollectiveKind::all_gather;
      auto conflict = [&](CollectiveOp other, const Twine &what) {
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
        return conflict(it->second,
                        "duplicates the " +
                            stringifyCollectiveKind(ar.getKindOrDefault()) +
                            " of chunk " + Twine(ar.getChunk()));
      if (failed(verifyCollective(ar, device, computeBefore, p, read)))
        return failure();
      if (ar.getStartAttr() && ar.getEndAttr())
        timed.push_back(ar);
    }
    llvm::stable_sort(timed, [](CollectiveOp a, CollectiveOp b) {
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
LogicalResult VerifySchedulePass::verifyCollective(CollectiveOp ar, int device,
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
  SKind release = sched::BlockGraph(p).releaseKind();
  for (int mb = 0; mb < p.numMicrobatches; ++mb) {
    const std::vector<BlockAt> *found =
        where.find(gather ? SKind::F : release, chunk, mb);
    if (!found || found->empty())
      continue;
    const std::vector<BlockAt> &parts = *found;
    int partIndex = 0;
    if (!gather) {
      // The part that completes the share (bucket + 1) / buckets.
      int64_t num = int64_t(bucket + 1) * int64_t(parts.size());
      partIndex = int((num + buckets - 1) / buckets - 1);
    }
    BlockAt at = parts[partIndex];
    if (at.device != device)
      continue;
    ComputeOp compute = read.ops[at.device][at.index];
    const SBlock &block = read.schedule.order[at.device][at.index];
    std::string what = gather ? "the F that needs the parameters it gathers"
                              : "the " +
                                    std::string(sched::blockKindName(release)) +
                                    " whose gradient it reduces";
    bool misplaced =
        gather ? at.index < computeBefore : at.index >= computeBefore;
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
    double done =
        sched::bucketDoneMs(block,
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
