//===- PlanInterop.cpp - Between plan ops and the plan model --------------===//
//
// Reads crosspipe.plan ops into plan::Plan: buffers by symbol, stream ops in
// issue order with their waits as action indices. Reading assumes verified
// IR; the only failures are references the verifiers would have rejected.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "crosspipe/Interop/PlanInterop.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace crosspipe;

namespace {
plan::BufferRole roleOf(BufferRole role) {
  switch (role) {
  case BufferRole::stash:
    return plan::BufferRole::Stash;
  case BufferRole::act:
    return plan::BufferRole::Act;
  case BufferRole::grad:
    return plan::BufferRole::Grad;
  case BufferRole::param_grad:
    return plan::BufferRole::ParamGrad;
  }
  return plan::BufferRole::Stash;
}

/// The verifier keeps transfers on their communication streams.
plan::Stream streamOf(PlanStream stream) {
  switch (stream) {
  case PlanStream::recv_next:
    return plan::Stream::RecvNext;
  case PlanStream::send_prev:
    return plan::Stream::SendPrev;
  case PlanStream::recv_prev:
    return plan::Stream::RecvPrev;
  default:
    return plan::Stream::SendNext;
  }
}

double msOf(TimeAttr time) { return time ? time.getMs() : 0; }

class PlanReader {
public:
  explicit PlanReader(PlanOp op) : op(op) {}
  FailureOr<PlanFromIR> read();

private:
  LogicalResult slot(Operation *user, StringRef what, FlatSymbolRefAttr ref,
                     std::optional<int64_t> slot, plan::SlotRef &out);
  LogicalResult readExec(ExecOp exec, plan::Action &a);
  template <typename OpT> LogicalResult readTransfer(OpT half, plan::Action &a);
  LogicalResult readAction(Operation &o, plan::Action &a);

  PlanOp op;
  PlanFromIR out;
  llvm::StringMap<int> bufferIndex;
  llvm::DenseMap<Operation *, int> actionIndex;
};
} // namespace

/// Resolves `@buffer[slot]`; no buffer reads as buffer -1.
LogicalResult PlanReader::slot(Operation *user, StringRef what,
                               FlatSymbolRefAttr ref,
                               std::optional<int64_t> slot,
                               plan::SlotRef &out) {
  if (!ref)
    return success();
  auto it = bufferIndex.find(ref.getValue());
  if (it == bufferIndex.end())
    return user->emitOpError("'")
           << what << "' names @" << ref.getValue()
           << ", which is not a crosspipe.buffer of the plan";
  out = {it->second, int(slot.value_or(0))};
  return success();
}

LogicalResult PlanReader::readExec(ExecOp exec, plan::Action &a) {
  a.kind = plan::ActionKind::Exec;
  a.device = int(exec.getDevice());
  a.block = {toSched(exec.getKind()), int(exec.getChunk()), int(exec.getMb()),
             int(exec.getPartIndex()), int(exec.getPartCount())};
  a.time = {msOf(exec.getStartAttr()), msOf(exec.getEndAttr())};
  plan::SlotRef grads;
  if (failed(slot(exec, "in", exec.getInputAttr(), exec.getInputSlot(),
                  a.input)) ||
      failed(slot(exec, "out", exec.getOutputAttr(), exec.getOutputSlot(),
                  a.output)) ||
      failed(slot(exec, "stash", exec.getStashAttr(), exec.getStashSlot(),
                  a.stash)) ||
      failed(slot(exec, "grads", exec.getGradsAttr(), 0, grads)))
    return failure();
  a.grads = grads.buffer;
  return success();
}

template <typename OpT>
LogicalResult PlanReader::readTransfer(OpT half, plan::Action &a) {
  bool send = std::is_same<OpT, SendOp>::value;
  a.kind = send ? plan::ActionKind::Send : plan::ActionKind::Recv;
  a.gradient = half.getKind() == TransferKind::grad;
  a.boundary = int(half.getChunk());
  a.mb = int(half.getMb());
  a.src = int(half.getSrc());
  a.dst = int(half.getDst());
  a.device = send ? a.src : a.dst;
  a.stream = streamOf(half.getStream());
  return slot(half, "buffer", half.getBufferAttr(), half.getSlot(), a.buffer);
}

LogicalResult PlanReader::readAction(Operation &o, plan::Action &a) {
  if (auto exec = dyn_cast<ExecOp>(o))
    return readExec(exec, a);
  if (auto send = dyn_cast<SendOp>(o)) {
    a.occupancy = {msOf(send.getStartAttr()), msOf(send.getEndAttr())};
    return readTransfer(send, a);
  }
  if (auto recv = dyn_cast<RecvOp>(o)) {
    a.arrivalMs = msOf(recv.getArrivalAttr());
    return readTransfer(recv, a);
  }
  auto reduce = dyn_cast<DpAllReduceOp>(o);
  if (!reduce)
    return o.emitOpError("is not allowed in a crosspipe.plan, which holds "
                         "only buffer, exec, send, recv and dp_allreduce ops");
  a.kind = plan::ActionKind::Reduce;
  a.device = int(reduce.getDevice());
  a.chunk = int(reduce.getChunk());
  a.time = {msOf(reduce.getStartAttr()), msOf(reduce.getEndAttr())};
  plan::SlotRef buffer;
  if (failed(slot(reduce, "buffer", reduce.getBufferAttr(), 0, buffer)))
    return failure();
  a.gradBuffer = buffer.buffer;
  return success();
}

FailureOr<PlanFromIR> PlanReader::read() {
  out.plan.numDevices = int(op.getDevices());
  out.plan.makespanMs = msOf(op.getMakespanAttr());
  Block &body = op.getBody().front();
  // Buffers first: symbols may be used before they are declared.
  for (BufferOp buffer : body.getOps<BufferOp>()) {
    bufferIndex[buffer.getSymName()] = int(out.plan.buffers.size());
    out.plan.buffers.push_back(
        {buffer.getSymName().str(), int(buffer.getDevice()),
         roleOf(buffer.getRole()), int(buffer.getChunk()),
         int(buffer.getSlots()), buffer.getSize().getBytes()});
    out.bufferOps.push_back(buffer);
  }
  for (Operation &o : body) {
    if (isa<BufferOp>(o))
      continue;
    plan::Action a;
    if (failed(readAction(o, a)))
      return failure();
    for (Value event : o.getOperands()) {
      auto it = actionIndex.find(event.getDefiningOp());
      if (it == actionIndex.end())
        return o.emitOpError("waits on an event that no op of this plan "
                             "records");
      a.waits.push_back(it->second);
    }
    actionIndex[&o] = int(out.plan.actions.size());
    out.plan.actions.push_back(std::move(a));
    out.actionOps.push_back(&o);
  }
  return std::move(out);
}

FailureOr<PlanFromIR> crosspipe::readPlan(PlanOp op) {
  return PlanReader(op).read();
}

//===----------------------------------------------------------------------===//
// Plan data to ops
//===----------------------------------------------------------------------===//

namespace {
BufferRole irRoleOf(plan::BufferRole role) {
  switch (role) {
  case plan::BufferRole::Stash:
    return BufferRole::stash;
  case plan::BufferRole::Act:
    return BufferRole::act;
  case plan::BufferRole::Grad:
    return BufferRole::grad;
  case plan::BufferRole::ParamGrad:
    return BufferRole::param_grad;
  }
  return BufferRole::stash;
}

PlanStream irStreamOf(plan::Stream stream) {
  switch (stream) {
  case plan::Stream::SendNext:
    return PlanStream::send_next;
  case plan::Stream::RecvNext:
    return PlanStream::recv_next;
  case plan::Stream::SendPrev:
    return PlanStream::send_prev;
  case plan::Stream::RecvPrev:
    return PlanStream::recv_prev;
  }
  return PlanStream::send_next;
}

/// Writes a plan as crosspipe.plan IR after its schedule op.
class PlanEmitter {
public:
  PlanEmitter(ScheduleOp op, const ScheduleFromIR &read, const plan::Plan &p)
      : op(op), read(read), p(p), ctx(op.getContext()), b(ctx) {}
  PlanOp emit(StringRef name);

private:
  NamedAttribute named(StringRef n, Attribute a) {
    return NamedAttribute(b.getStringAttr(n), a);
  }
  Attribute i64(int64_t v) { return b.getI64IntegerAttr(v); }
  Attribute sym(int buffer) {
    return FlatSymbolRefAttr::get(ctx, p.buffers[buffer].name);
  }
  Attribute time(double ms) { return TimeAttr::get(ctx, ms); }
  Location locOf(plan::Pos pos) const {
    ComputeOp op = read.ops[pos.device][pos.index];
    return op.getLoc();
  }
  void emitBuffers();
  Operation *emitExec(const plan::Action &a, ValueRange waits);
  Operation *emitTransfer(const plan::Action &a, ValueRange waits);
  Operation *emitReduce(const plan::Action &a, ValueRange waits);

  ScheduleOp op;
  const ScheduleFromIR &read;
  const plan::Plan &p;
  MLIRContext *ctx;
  OpBuilder b;
};
} // namespace

void PlanEmitter::emitBuffers() {
  for (const plan::Buffer &buf : p.buffers)
    createOp<BufferOp>(b,
        op.getLoc(), TypeRange{}, ValueRange{},
        ArrayRef<NamedAttribute>{
            named("sym_name", b.getStringAttr(buf.name)),
            named("device", i64(buf.device)),
            named("role", BufferRoleAttr::get(ctx, irRoleOf(buf.role))),
            named("chunk", i64(buf.chunk)), named("slots", i64(buf.slots)),
            named("size", BytesAttr::get(ctx, buf.bytes))});
}

Operation *PlanEmitter::emitExec(const plan::Action &a, ValueRange waits) {
  ComputeOp compute = read.ops[a.anchor.device][a.anchor.index];
  SmallVector<NamedAttribute> attrs = {
      named("kind", compute.getKindAttr()), named("chunk", i64(a.block.chunk)),
      named("mb", i64(a.block.mb)),         named("device", i64(a.device)),
      named("start", time(a.time.startMs)), named("end", time(a.time.endMs))};
  if (a.block.parts > 1) {
    attrs.push_back(named("part", i64(a.block.part)));
    attrs.push_back(named("parts", i64(a.block.parts)));
  }
  auto slot = [&](StringRef what, StringRef slotName, plan::SlotRef ref) {
    if (ref.buffer < 0)
      return;
    attrs.push_back(named(what, sym(ref.buffer)));
    attrs.push_back(named(slotName, i64(ref.slot)));
  };
  slot("input", "input_slot", a.input);
  slot("output", "output_slot", a.output);
  slot("stash", "stash_slot", a.stash);
  if (a.grads >= 0)
    attrs.push_back(named("grads", sym(a.grads)));
  return createOp<ExecOp>(b, compute.getLoc(), TypeRange{b.getNoneType()}, waits,
                          attrs);
}

Operation *PlanEmitter::emitTransfer(const plan::Action &a, ValueRange waits) {
  bool send = a.kind == plan::ActionKind::Send;
  SmallVector<NamedAttribute> attrs = {
      named("kind", TransferKindAttr::get(ctx, a.gradient ? TransferKind::grad
                                                          : TransferKind::act)),
      named("chunk", i64(a.boundary)),
      named("mb", i64(a.mb)),
      named("src", i64(a.src)),
      named("dst", i64(a.dst)),
      named("stream", PlanStreamAttr::get(ctx, irStreamOf(a.stream))),
      named("buffer", sym(a.buffer.buffer)),
      named("slot", i64(a.buffer.slot))};
  Type none = b.getNoneType();
  if (send) {
    attrs.push_back(named("start", time(a.occupancy.startMs)));
    attrs.push_back(named("end", time(a.occupancy.endMs)));
    return createOp<SendOp>(b, locOf(a.anchor), TypeRange{none}, waits, attrs);
  }
  attrs.push_back(named("arrival", time(a.arrivalMs)));
  return createOp<RecvOp>(b, locOf(a.anchor), TypeRange{none}, waits, attrs);
}

Operation *PlanEmitter::emitReduce(const plan::Action &a, ValueRange waits) {
  SmallVector<NamedAttribute> attrs = {
      named("chunk", i64(a.chunk)), named("device", i64(a.device)),
      named("buffer", sym(a.gradBuffer)), named("start", time(a.time.startMs)),
      named("end", time(a.time.endMs))};
  return createOp<DpAllReduceOp>(b, op.getLoc(), TypeRange{b.getNoneType()}, waits,
                                 attrs);
}

PlanOp PlanEmitter::emit(StringRef name) {
  b.setInsertionPointAfter(op);
  auto planOp = createOp<PlanOp>(b, op.getLoc(), b.getStringAttr(name),
                                 FlatSymbolRefAttr::get(ctx, op.getSymName()),
                                 b.getI64IntegerAttr(p.numDevices),
                                 TimeAttr::get(ctx, p.makespanMs));
  planOp.getBody().emplaceBlock();
  b.setInsertionPointToEnd(&planOp.getBody().front());
  emitBuffers();
  std::vector<Value> results(p.actions.size());
  for (size_t i = 0; i < p.actions.size(); ++i) {
    const plan::Action &a = p.actions[i];
    SmallVector<Value> waits;
    for (int w : a.waits)
      waits.push_back(results[w]);
    Operation *created = a.kind == plan::ActionKind::Exec ? emitExec(a, waits)
                         : a.kind == plan::ActionKind::Reduce
                             ? emitReduce(a, waits)
                             : emitTransfer(a, waits);
    results[i] = created->getResult(0);
  }
  return planOp;
}

PlanOp crosspipe::writePlan(ScheduleOp schedule, const ScheduleFromIR &read,
                            const plan::Plan &plan, StringRef name) {
  return PlanEmitter(schedule, read, plan).emit(name);
}
