//===- PlanInterop.cpp - Between plan ops and the plan model --------------===//
//
// Reads crosspipe.plan ops into plan::Plan: buffers by symbol, stream ops in
// issue order with their waits as action indices. Reading assumes verified
// IR; the only failures are references the verifiers would have rejected.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/PlanInterop.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace crosspipe;

namespace {
sched::BlockKind kindOf(BlockKind kind) {
  switch (kind) {
  case BlockKind::F:
    return sched::BlockKind::F;
  case BlockKind::B:
    return sched::BlockKind::B;
  case BlockKind::D:
    return sched::BlockKind::D;
  case BlockKind::W:
    return sched::BlockKind::W;
  }
  return sched::BlockKind::F;
}

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
  a.block = {kindOf(exec.getKind()), int(exec.getChunk()), int(exec.getMb()),
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
