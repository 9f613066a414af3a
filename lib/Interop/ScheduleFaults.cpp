//===- ScheduleFaults.cpp - Schedule faults as diagnostics at their ops ---===//
//
// The schedule checks of the MLIR-free library (ScheduleCheck.h) report
// faults by position; this file reads what they need from a schedule op
// (the times its blocks carry, its collectives) and words each fault as one
// error at the offending op with a note at the related one.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Interop/ScheduleDiagnostics.h"
#include "crosspipe/Schedule/BlockGraph.h"

using namespace mlir;
using namespace crosspipe;
using F = sched::ScheduleFault;

std::vector<std::vector<sched::Annotated>>
crosspipe::readAnnotations(const ScheduleFromIR &read) {
  std::vector<std::vector<sched::Annotated>> annotated(read.ops.size());
  for (size_t d = 0; d < read.ops.size(); ++d)
    for (ComputeOp compute : read.ops[d]) {
      sched::Annotated &t = annotated[d].emplace_back();
      if (compute.getStartAttr() && compute.getEndAttr())
        t = {true, compute.getStartAttr().getMs(),
             compute.getEndAttr().getMs()};
    }
  return annotated;
}

static sched::CollectiveKind kindOf(CollectiveOp op) {
  switch (op.getKindOrDefault()) {
  case CollectiveKind::all_gather:
    return sched::CollectiveKind::AllGather;
  case CollectiveKind::reduce_scatter:
    return sched::CollectiveKind::ReduceScatter;
  case CollectiveKind::all_reduce:
    break;
  }
  return sched::CollectiveKind::AllReduce;
}

std::vector<sched::CollectiveNote>
crosspipe::readCollectives(ScheduleOp op, SmallVectorImpl<CollectiveOp> &ops) {
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
      n.kind = kindOf(ar);
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

namespace {
/// Words one fault; `op` is the schedule, `collectives` the ops of the
/// notes the fault's collective indices refer to.
class FaultReporter {
public:
  FaultReporter(ScheduleOp op, const ScheduleFromIR &read,
                const sched::Problem &problem,
                ArrayRef<CollectiveOp> collectives)
      : op(op), read(read), problem(problem), collectives(collectives) {}
  LogicalResult report(const F &f);

private:
  ComputeOp opAt(sched::BlockAt at) const {
    return read.ops[at.device][at.index];
  }
  Location locAt(sched::BlockAt at) const { return opAt(at).getLoc(); }
  LogicalResult blockFault(const F &f);
  LogicalResult collectiveFault(const F &f);
  LogicalResult dependencyFault(const F &f);

  ScheduleOp op;
  const ScheduleFromIR &read;
  const sched::Problem &problem;
  ArrayRef<CollectiveOp> collectives;
};
} // namespace

LogicalResult FaultReporter::report(const F &f) {
  switch (f.kind) {
  case F::None:
    return success();
  case F::Missing:
    if (f.missingPart) {
      sched::Block whole{f.block.kind, f.block.chunk, f.block.mb};
      return op.emitOpError("misses part ")
             << f.block.part << " of " << describeBlock(whole)
             << " in the program of device " << f.device;
    }
    return op.emitOpError("misses ")
           << describeBlock(f.block) << " in the program of device "
           << f.device;
  case F::OverBudget: {
    std::string needText, limitText;
    llvm::raw_string_ostream needOs(needText), limitOs(limitText);
    printByteSize(needOs, f.bytes);
    printByteSize(limitOs, f.limit);
    return opAt(f.at).emitOpError("raises the activation memory of device ")
           << f.device << " to " << needText << ", above its budget of "
           << limitText;
  }
  case F::PartCount:
  case F::Duplicate:
  case F::RunsBefore:
  case F::StartsBeforePrevious:
  case F::StartsBeforeInput:
    return blockFault(f);
  default:
    return collectiveFault(f);
  }
}

LogicalResult FaultReporter::blockFault(const F &f) {
  ComputeOp at = opAt(f.at);
  InFlightDiagnostic diag = at.emitOpError();
  const char *note = "";
  switch (f.kind) {
  case F::PartCount:
    diag << "is cut into " << f.block.parts
         << " parts, but another part of the same block into " << f.otherParts;
    note = "other part here";
    break;
  case F::Duplicate:
    diag << "duplicates " << describeBlock(f.block);
    note = "first occurrence here";
    break;
  case F::RunsBefore:
    diag << "runs before " << describeBlock(f.block)
         << ", which it depends on, on the same device";
    note = "dependency here";
    break;
  case F::StartsBeforePrevious:
    diag << "starts at " << formatNumber(f.startMs)
         << " ms, before the previous block on device " << f.at.device
         << " ends";
    note = "previous block here";
    break;
  default:
    diag << "starts at " << formatNumber(f.startMs)
         << " ms, before its input from " << describeBlock(f.block)
         << " can arrive (" << formatNumber(f.readyMs) << " ms)";
    note = "producer here";
    break;
  }
  diag.attachNote(locAt(f.other)) << note;
  return diag;
}

LogicalResult FaultReporter::collectiveFault(const F &f) {
  CollectiveOp ar = collectives[f.collective];
  InFlightDiagnostic diag = ar.emitOpError();
  switch (f.kind) {
  case F::BucketMismatch:
    diag << "splits chunk " << ar.getChunk() << "'s gradient into " << f.buckets
         << " buckets, but another collective into " << f.otherParts;
    break;
  case F::AllReduceWithZero1:
    diag << "is an all-reduce, but the schedule also has ZeRO-1 collectives";
    break;
  case F::Zero1WithAllReduce:
    diag << "is a ZeRO-1 collective, but the schedule also has all-reduces";
    break;
  case F::DuplicateCollective:
    diag << "duplicates the " << stringifyCollectiveKind(ar.getKindOrDefault())
         << " of chunk " << ar.getChunk();
    break;
  case F::CollectivesOverlap:
    diag << "starts at " << formatNumber(f.startMs)
         << " ms, while another collective still runs on the communication "
            "stream of device "
         << f.device;
    break;
  default:
    diag.abandon();
    return dependencyFault(f);
  }
  CollectiveOp other = collectives[f.otherCollective];
  diag.attachNote(other.getLoc()) << "other collective here";
  return diag;
}

LogicalResult FaultReporter::dependencyFault(const F &f) {
  CollectiveOp ar = collectives[f.collective];
  bool gather = ar.getKindOrDefault() == CollectiveKind::all_gather;
  sched::BlockKind release = sched::BlockGraph(problem).releaseKind();
  std::string what = gather
                         ? "the F that needs the parameters it gathers"
                         : "the " + std::string(sched::blockKindName(release)) +
                               " whose gradient it reduces";
  InFlightDiagnostic diag = ar.emitOpError();
  if (f.kind == F::CollectiveMisplaced)
    diag << "comes " << (gather ? "after " : "before ")
         << describeBlock(f.block) << ", " << what;
  else if (f.kind == F::GatherEndsLate)
    diag << "ends at " << formatNumber(f.endMs) << " ms, after "
         << describeBlock(f.block) << " starts (" << formatNumber(f.startMs)
         << " ms), " << what;
  else
    diag << "starts at " << formatNumber(f.startMs)
         << " ms, before its gradient bucket is complete in "
         << describeBlock(f.block) << " (" << formatNumber(f.readyMs) << " ms)";
  diag.attachNote(locAt(f.other)) << "block here";
  return diag;
}

LogicalResult crosspipe::reportScheduleFault(
    ScheduleOp op, const ScheduleFromIR &read, const sched::Problem &problem,
    const sched::ScheduleFault &fault, ArrayRef<CollectiveOp> collectives) {
  return FaultReporter(op, read, problem, collectives).report(fault);
}
