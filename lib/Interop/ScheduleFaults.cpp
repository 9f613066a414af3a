//===- ScheduleFaults.cpp - Schedule faults as diagnostics at their ops ---===//
//
// The schedule checks of the MLIR-free library (ScheduleCheck.h) report
// faults by position; this file reads what they need from a schedule op
// (the times its blocks carry, its collectives, what it and its programs
// claim about the run) and words each fault as one
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
      n.kind = toSched(ar.getKindOrDefault());
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

sched::ScheduleClaims crosspipe::readClaims(ScheduleOp op) {
  sched::ScheduleClaims claims;
  if (TimeAttr makespan = op.getMakespanAttr())
    claims.makespanMs = makespan.getMs();
  if (TimeAttr bound = op.getLowerBoundAttr())
    claims.lowerBoundMs = bound.getMs();
  if (FloatAttr gap = op.getGapAttr())
    claims.gap = gap.getValueAsDouble();
  if (BoolAttr optimal = op.getOptimalAttr())
    claims.optimal = optimal.getValue();
  for (ProgramOp prog : op.getPrograms()) {
    sched::ScheduleClaims::Program &p = claims.programs.emplace_back();
    p.device = int(prog.getDevice());
    if (FloatAttr bubble = prog.getBubbleAttr())
      p.bubble = bubble.getValueAsDouble();
    if (BytesAttr peak = prog.getPeakMemoryAttr())
      p.peakMemoryBytes = peak.getBytes();
  }
  return claims;
}

static const char *collectiveName(sched::CollectiveKind kind) {
  switch (kind) {
  case sched::CollectiveKind::AllGather:
    return "all_gather";
  case sched::CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case sched::CollectiveKind::AllReduce:
    break;
  }
  return "all_reduce";
}

std::vector<sched::TransferNote>
crosspipe::readTransfers(ScheduleOp op, SmallVectorImpl<TransferOp> &ops) {
  std::vector<sched::TransferNote> notes;
  for (TransferOp t : op.getBody().getOps<TransferOp>()) {
    sched::TransferNote n;
    n.gradient = t.getKind() == TransferKind::grad;
    n.boundary = int(t.getChunk());
    n.mb = int(t.getMb());
    n.src = int(t.getSrc());
    n.dst = int(t.getDst());
    if (t.getStartAttr() && t.getEndAttr() && t.getArrivalAttr()) {
      n.timed = true;
      n.startMs = t.getStartAttr().getMs();
      n.endMs = t.getEndAttr().getMs();
      n.arrivalMs = t.getArrivalAttr().getMs();
    }
    notes.push_back(n);
    ops.push_back(t);
  }
  return notes;
}

namespace {
/// "act chunk 3 mb 0" (the IR's words for a message).
std::string describeMessage(const sched::TransferNote &m) {
  return std::string(m.gradient ? "grad" : "act") + " chunk " +
         std::to_string(m.boundary) + " mb " + std::to_string(m.mb);
}

/// Words one fault; `op` is the schedule, `collectives` the ops of the
/// notes the fault's collective indices refer to.
class FaultReporter {
public:
  FaultReporter(ScheduleOp op, const ScheduleFromIR &read,
                const sched::Problem &problem,
                ArrayRef<CollectiveOp> collectives,
                ArrayRef<TransferOp> transfers)
      : op(op), read(read), problem(problem), collectives(collectives),
        transfers(transfers) {}
  LogicalResult report(const F &f);

private:
  ComputeOp opAt(sched::BlockAt at) const {
    return read.ops[at.device][at.index];
  }
  Location locAt(sched::BlockAt at) const { return opAt(at).getLoc(); }
  LogicalResult blockFault(const F &f);
  LogicalResult collectiveFault(const F &f);
  LogicalResult dependencyFault(const F &f);
  LogicalResult spanFault(const F &f);
  LogicalResult claimFault(const F &f);
  LogicalResult programClaimFault(const F &f);
  LogicalResult transferFault(const F &f);

  ScheduleOp op;
  const ScheduleFromIR &read;
  const sched::Problem &problem;
  ArrayRef<CollectiveOp> collectives;
  ArrayRef<TransferOp> transfers;
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
  case F::OverBudget:
    return opAt(f.at).emitOpError("raises the activation memory of device ")
           << f.device << " to " << byteSizeText(f.bytes)
           << ", above its budget of " << byteSizeText(f.limit);
  case F::MissingCollective: {
    InFlightDiagnostic diag = op.emitOpError("misses the ")
                              << collectiveName(f.collectiveKind)
                              << " of chunk " << f.block.chunk;
    if (f.buckets > 1)
      diag << " bucket " << f.bucket << " of " << f.buckets;
    return diag << " in the program of device " << f.device;
  }
  case F::NegativeSpan:
  case F::SpanTooShort:
    return spanFault(f);
  case F::ClaimMismatch:
    return claimFault(f);
  case F::ProgramClaimMismatch:
    return programClaimFault(f);
  case F::PartCount:
  case F::Duplicate:
  case F::RunsBefore:
  case F::StartsBeforePrevious:
  case F::StartsBeforeInput:
    return blockFault(f);
  case F::UnknownTransfer:
  case F::DuplicateTransfer:
  case F::TransferTime:
  case F::MissingTransfer:
    return transferFault(f);
  case F::CollectiveTime:
    return CollectiveOp(collectives[f.collective]).emitOpError("runs [")
           << formatNumber(f.startMs) << " ms, " << formatNumber(f.endMs)
           << " ms], but the simulation gives [" << formatNumber(f.simStartMs)
           << " ms, " << formatNumber(f.simEndMs) << " ms]";
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

LogicalResult FaultReporter::spanFault(const F &f) {
  InFlightDiagnostic diag = opAt(f.at).emitOpError();
  if (f.kind == F::SpanTooShort)
    return diag << "runs for " << formatNumber(f.endMs - f.startMs)
                << " ms, shorter than the " << formatNumber(f.readyMs)
                << " ms the model gives " << describeBlock(f.block);
  if (!(f.startMs >= 0))
    return diag << "starts at " << formatNumber(f.startMs)
                << " ms, before the step begins (0 ms)";
  return diag << "ends at " << formatNumber(f.endMs)
              << " ms, before it starts (" << formatNumber(f.startMs) << " ms)";
}

/// A claim of the schedule op; `startMs` holds the claimed value and
/// `readyMs` the simulated (or implied) one.
LogicalResult FaultReporter::claimFault(const F &f) {
  InFlightDiagnostic diag = op.emitOpError("claims ");
  std::string have = formatNumber(f.startMs), want = formatNumber(f.readyMs);
  switch (f.claim) {
  case F::Makespan:
    return diag << "a makespan of " << have << " ms, but the simulation gives "
                << want << " ms";
  case F::LowerBound:
    if (!(f.startMs >= 0))
      return diag << "a negative lower bound (" << have << " ms)";
    return diag << "a lower bound of " << have
                << " ms, above its simulated makespan of " << want << " ms";
  case F::Gap:
    if (!(f.startMs >= 0 && f.startMs <= 1))
      return diag << "a gap of " << have << ", outside [0, 1]";
    return diag << "a gap of " << have
                << ", but its makespan and lower bound give " << want;
  default:
    if (f.readyMs == 0)
      return diag << "to be optimal, but its gap is " << have;
    return diag << "to be optimal, but its lower bound (" << have
                << " ms) is below its makespan (" << want << " ms)";
  }
}

LogicalResult FaultReporter::programClaimFault(const F &f) {
  ProgramOp at;
  for (ProgramOp prog : op.getPrograms())
    if (!at && prog.getDevice() == f.device)
      at = prog;
  InFlightDiagnostic diag = at.emitOpError("claims ");
  if (f.claim == F::Bubble)
    return diag << "a bubble of " << formatNumber(f.startMs)
                << ", but the simulation gives " << formatNumber(f.readyMs);
  return diag << "a peak memory of " << byteSizeText(f.bytes)
              << ", but the simulation gives " << byteSizeText(f.limit);
}

LogicalResult FaultReporter::transferFault(const F &f) {
  const sched::TransferNote &m = f.message;
  if (f.kind == F::MissingTransfer)
    return op.emitOpError("carries transfers, but not ")
           << describeMessage(m) << " from " << m.src << " to " << m.dst
           << ", which the simulation sends";
  TransferOp at = transfers[f.transfer];
  InFlightDiagnostic diag = at.emitOpError();
  switch (f.kind) {
  case F::UnknownTransfer:
    return diag << "is no message of the model: no block sends "
                << describeMessage(m) << " to another device";
  case F::DuplicateTransfer:
    diag << "repeats " << describeMessage(m);
    diag.attachNote(TransferOp(transfers[f.otherTransfer]).getLoc())
        << "first occurrence here";
    return diag;
  default:
    return diag << "holds its link over [" << formatNumber(f.startMs)
                << " ms, " << formatNumber(f.endMs) << " ms] and arrives at "
                << formatNumber(f.readyMs) << " ms, but the simulation gives ["
                << formatNumber(m.startMs) << " ms, " << formatNumber(m.endMs)
                << " ms] and " << formatNumber(m.arrivalMs) << " ms";
  }
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
    const sched::ScheduleFault &fault, ArrayRef<CollectiveOp> collectives,
    ArrayRef<TransferOp> transfers) {
  return FaultReporter(op, read, problem, collectives, transfers)
      .report(fault);
}
