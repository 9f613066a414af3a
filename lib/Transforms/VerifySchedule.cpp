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
  LogicalResult reportCollective(const sched::ScheduleFault &f,
                                 ArrayRef<CollectiveOp> ops,
                                 const sched::Problem &p, ScheduleFromIR &read);
  LogicalResult reportDependency(const sched::ScheduleFault &f, CollectiveOp ar,
                                 const sched::Problem &p, ScheduleFromIR &read);

  /// Where every part of every block sits, and the times blocks carry.
  sched::BlockIndex where;
  std::vector<std::vector<sched::Annotated>> annotated;
};
} // namespace

LogicalResult VerifySchedulePass::verifyOne(ScheduleOp op) {
  FailureOr<LoadedSchedule> loaded = loadScheduleOp(op);
  if (failed(loaded))
    return failure();
  sched::Problem *problem = &loaded->problem;
  ScheduleFromIR *read = &loaded->read;
  annotated.assign(read->ops.size(), {});
  for (size_t d = 0; d < read->ops.size(); ++d)
    for (ComputeOp compute : read->ops[d]) {
      sched::Annotated &t = annotated[d].emplace_back();
      if (compute.getStartAttr() && compute.getEndAttr())
        t = {true, compute.getStartAttr().getMs(),
             compute.getEndAttr().getMs()};
    }
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
  sched::ScheduleFault f =
      sched::checkAnnotatedTimes(p, read.schedule, where, annotated);
  if (!f)
    return success();
  ComputeOp op = read.ops[f.at.device][f.at.index];
  ComputeOp other = read.ops[f.other.device][f.other.index];
  if (f.kind == sched::ScheduleFault::StartsBeforePrevious) {
    InFlightDiagnostic diag = op.emitOpError("starts at ")
                              << formatNumber(f.startMs)
                              << " ms, before the previous block on device "
                              << f.at.device << " ends";
    diag.attachNote(other.getLoc()) << "previous block here";
    return diag;
  }
  InFlightDiagnostic diag = op.emitOpError("starts at ")
                            << formatNumber(f.startMs)
                            << " ms, before its input from "
                            << describeBlock(f.block) << " can arrive ("
                            << formatNumber(f.readyMs) << " ms)";
  diag.attachNote(other.getLoc()) << "producer here";
  return diag;
}

/// Reads the collectives of every program, in program order, with the
/// compute blocks before each; `ops` gets the op of each.
static std::vector<sched::CollectiveNote>
readCollectives(ScheduleOp op, SmallVectorImpl<CollectiveOp> &ops) {
  std::vector<sched::CollectiveNote> notes;
  int program = 0;
  for (ProgramOp prog : op.getPrograms()) {
    int computeBefore = 0;
    for (Operation &nested : prog.getBody().front()) {
      auto ar = dyn_cast<CollectiveOp>(nested);
      if (!ar) {
        ++computeBefore;
        continue;
      }
      sched::CollectiveNote n;
      n.program = program;
      n.device = int(prog.getDevice());
      n.computeBefore = computeBefore;
      n.kind = ar.getKindOrDefault() == CollectiveKind::all_gather
                   ? sched::CollectiveKind::AllGather
               : ar.getKindOrDefault() == CollectiveKind::reduce_scatter
                   ? sched::CollectiveKind::ReduceScatter
                   : sched::CollectiveKind::AllReduce;
      n.chunk = int(ar.getChunk());
      n.bucket = int(ar.getBucket().value_or(0));
      n.buckets = int(ar.getBuckets().value_or(1));
      if (ar.getStartAttr() && ar.getEndAttr())
        n.time = {true, ar.getStartAttr().getMs(), ar.getEndAttr().getMs()};
      notes.push_back(n);
      ops.push_back(ar);
    }
    ++program;
  }
  return notes;
}

/// The diagnostic of a collective's fault, at the collective, with a note
/// at the related collective or block.
LogicalResult VerifySchedulePass::reportCollective(
    const sched::ScheduleFault &f, ArrayRef<CollectiveOp> ops,
    const sched::Problem &p, ScheduleFromIR &read) {
  using F = sched::ScheduleFault;
  CollectiveOp ar = ops[f.collective];
  auto conflict = [&](const Twine &what) {
    InFlightDiagnostic diag = ar.emitOpError(what);
    diag.attachNote(CollectiveOp(ops[f.otherCollective]).getLoc())
        << "other collective here";
    return diag;
  };
  switch (f.kind) {
  case F::BucketMismatch:
    return conflict("splits chunk " + Twine(ar.getChunk()) +
                    "'s gradient into " + Twine(f.buckets) +
                    " buckets, but another collective into " +
                    Twine(f.otherParts));
  case F::AllReduceWithZero1:
    return conflict("is an all-reduce, but the schedule also has ZeRO-1 "
                    "collectives");
  case F::Zero1WithAllReduce:
    return conflict("is a ZeRO-1 collective, but the schedule also has "
                    "all-reduces");
  case F::DuplicateCollective:
    return conflict("duplicates the " +
                    stringifyCollectiveKind(ar.getKindOrDefault()) +
                    " of chunk " + Twine(ar.getChunk()));
  case F::CollectivesOverlap: {
    InFlightDiagnostic diag =
        ar.emitOpError("starts at ")
        << formatNumber(f.startMs)
        << " ms, while another collective still runs on the communication "
           "stream of device "
        << f.device;
    diag.attachNote(CollectiveOp(ops[f.otherCollective]).getLoc())
        << "other collective here";
    return diag;
  }
  default:
    return reportDependency(f, ar, p, read);
  }
}

LogicalResult
VerifySchedulePass::reportDependency(const sched::ScheduleFault &f,
                                     CollectiveOp ar, const sched::Problem &p,
                                     ScheduleFromIR &read) {
  using F = sched::ScheduleFault;
  bool gather = ar.getKindOrDefault() == CollectiveKind::all_gather;
  SKind release = sched::BlockGraph(p).releaseKind();
  std::string what = gather
                         ? "the F that needs the parameters it gathers"
                         : "the " + std::string(sched::blockKindName(release)) +
                               " whose gradient it reduces";
  InFlightDiagnostic diag =
      f.kind == F::CollectiveMisplaced
          ? ar.emitOpError("comes ") << (gather ? "after " : "before ")
                                     << describeBlock(f.block) << ", " << what
      : f.kind == F::GatherEndsLate
          ? ar.emitOpError("ends at ")
                << formatNumber(f.endMs) << " ms, after "
                << describeBlock(f.block) << " starts ("
                << formatNumber(f.startMs) << " ms), " << what
          : ar.emitOpError("starts at ")
                << formatNumber(f.startMs)
                << " ms, before its gradient bucket is complete in "
                << describeBlock(f.block) << " (" << formatNumber(f.readyMs)
                << " ms)";
  diag.attachNote(read.ops[f.other.device][f.other.index].getLoc())
      << "block here";
  return diag;
}

LogicalResult VerifySchedulePass::verifyCollectives(ScheduleOp op,
                                                    const sched::Problem &p,
                                                    ScheduleFromIR &read) {
  SmallVector<CollectiveOp> ops;
  std::vector<sched::CollectiveNote> notes = readCollectives(op, ops);
  sched::ScheduleFault f =
      sched::checkCollectives(p, read.schedule, where, annotated, notes);
  if (!f)
    return success();
  return reportCollective(f, ops, p, read);
}
