//===- CrossPipePlanOps.cpp - Local verifiers of the execution-plan ops ---===//
//
// What every plan must satisfy op by op: sends and receives on the streams
// of their direction, buffers of the right device, role and chunk, slots in
// range, and waits only on events of the op's own device (devices are
// separate processes under NCCL, so a cross-device event cannot exist). The
// whole-plan proof (deadlock freedom, race-free buffers) is
// the --crosspipe-verify-plan pass (lib/Transforms/VerifyPlan.cpp).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace crosspipe;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

int64_t PlanOp::getOpDevice(Operation *op) {
  return llvm::TypeSwitch<Operation *, int64_t>(op)
      .Case([](ExecOp o) { return o.getDevice(); })
      .Case([](SendOp o) { return o.getSrc(); })
      .Case([](RecvOp o) { return o.getDst(); })
      .Case([](DpAllReduceOp o) { return o.getDevice(); })
      .Default([](Operation *) { return int64_t(-1); });
}

PlanStream PlanOp::getOpStream(Operation *op) {
  return llvm::TypeSwitch<Operation *, PlanStream>(op)
      .Case([](SendOp o) { return o.getStream(); })
      .Case([](RecvOp o) { return o.getStream(); })
      .Case([](DpAllReduceOp) { return PlanStream::dp; })
      .Default([](Operation *) { return PlanStream::compute; });
}

static LogicalResult verifyPlanSpan(Operation *op, TimeAttr start,
                                    TimeAttr end) {
  if (bool(start) != bool(end))
    return op->emitOpError("expects both a start and an end time, or neither");
  if (start && end.getMs() < start.getMs())
    return op->emitOpError("ends before it starts");
  return success();
}

/// The stream a transfer of `kind` leaves on (send) or arrives on (recv):
/// activations flow to the next chunk, gradients to the previous one.
static PlanStream expectedStream(TransferKind kind, bool send) {
  if (kind == TransferKind::act)
    return send ? PlanStream::send_next : PlanStream::recv_prev;
  return send ? PlanStream::send_prev : PlanStream::recv_next;
}

template <typename OpT>
static LogicalResult verifyTransferHalf(OpT op, bool send) {
  if (op.getChunk() < 0 || op.getMb() < 0 || op.getSrc() < 0 ||
      op.getDst() < 0 || op.getSlot() < 0)
    return op.emitOpError("expects non-negative chunk, microbatch, devices "
                          "and slot");
  if (op.getSrc() == op.getDst())
    return op.emitOpError("moves data from device ")
           << op.getSrc() << " to itself; same-device hand-offs share a "
           << "buffer instead";
  PlanStream want = expectedStream(op.getKind(), send);
  if (op.getStream() != want)
    return op.emitOpError("carries ")
           << stringifyTransferKind(op.getKind()) << " and must run on "
           << stringifyPlanStream(want) << ", not "
           << stringifyPlanStream(op.getStream());
  return success();
}

//===----------------------------------------------------------------------===//
// Op verifiers
//===----------------------------------------------------------------------===//

LogicalResult BufferOp::verify() {
  if (getDevice() < 0 || getChunk() < 0)
    return emitOpError("expects a non-negative device and chunk");
  if (getSlots() < 1)
    return emitOpError("expects at least one slot, got ") << getSlots();
  if (getRole() == BufferRole::param_grad && getSlots() != 1)
    return emitOpError("holds a parameter gradient and needs exactly one "
                       "slot, got ")
           << getSlots();
  return success();
}

LogicalResult ExecOp::verify() {
  if (getChunk() < 0 || getMb() < 0 || getDevice() < 0)
    return emitOpError("expects a non-negative chunk, microbatch and device");
  if (getPartAttr() || getPartsAttr()) {
    int64_t part = getPart().value_or(-1), parts = getParts().value_or(0);
    if (parts < 1 || part < 0 || part >= parts)
      return emitOpError("expects 0 <= part < parts, got part ")
             << part << " of " << parts;
  }
  for (auto [buffer, slot, what] :
       {std::make_tuple(Attribute(getInputAttr()),
                        Attribute(getInputSlotAttr()), "in"),
        std::make_tuple(Attribute(getOutputAttr()),
                        Attribute(getOutputSlotAttr()), "out"),
        std::make_tuple(Attribute(getStashAttr()),
                        Attribute(getStashSlotAttr()), "stash")})
    if (bool(buffer) != bool(slot))
      return emitOpError("names '") << what << "' without a slot";
  BlockKind kind = getKind();
  if (kind == BlockKind::W && (getInputAttr() || getOutputAttr()))
    return emitOpError("is a weight-gradient block, which neither receives "
                       "nor sends");
  if ((kind == BlockKind::F || kind == BlockKind::D) && getGradsAttr())
    return emitOpError("writes no parameter gradient; only W and B take "
                       "'grads'");
  return verifyPlanSpan(*this, getStartAttr(), getEndAttr());
}

LogicalResult SendOp::verify() {
  if (failed(verifyTransferHalf(*this, /*send=*/true)))
    return failure();
  return verifyPlanSpan(*this, getStartAttr(), getEndAttr());
}

LogicalResult RecvOp::verify() {
  return verifyTransferHalf(*this, /*send=*/false);
}

LogicalResult DpAllReduceOp::verify() {
  if (getChunk() < 0 || getDevice() < 0)
    return emitOpError("expects a non-negative chunk and device");
  return verifyPlanSpan(*this, getStartAttr(), getEndAttr());
}

//===----------------------------------------------------------------------===//
// The plan: buffer references and event locality
//===----------------------------------------------------------------------===//

namespace {
/// Checks one `@buffer[slot]` reference of a stream op.
struct BufferUse {
  Operation *op;
  StringRef what; // "in", "out", "stash", "grads", "buffer"
  FlatSymbolRefAttr ref;
  int64_t slot;
  BufferRole role;
  int64_t chunk;
};
} // namespace

/// `buffers` is the plan's symbol table, built once: a lookup through the
/// op itself scans the whole plan, which made verifying a plan quadratic.
static LogicalResult checkBufferUse(SymbolTable &buffers,
                                    const BufferUse &use) {
  auto buffer = buffers.lookup<BufferOp>(use.ref.getAttr());
  if (!buffer)
    return use.op->emitOpError("'")
           << use.what << "' names @" << use.ref.getValue()
           << ", which is not a crosspipe.buffer of the plan";
  int64_t device = PlanOp::getOpDevice(use.op);
  auto mismatch = [&](const Twine &why) {
    InFlightDiagnostic diag = use.op->emitOpError("'")
                              << use.what << "' buffer @" << use.ref.getValue()
                              << " " << why;
    diag.attachNote(buffer.getLoc()) << "buffer declared here";
    return diag;
  };
  if (buffer.getDevice() != device)
    return mismatch("is on device " + Twine(buffer.getDevice()) +
                    ", not on device " + Twine(device));
  if (buffer.getRole() != use.role || buffer.getChunk() != use.chunk)
    return mismatch("holds " + stringifyBufferRole(buffer.getRole()) +
                    " of chunk " + Twine(buffer.getChunk()) + ", expected " +
                    stringifyBufferRole(use.role) + " of chunk " +
                    Twine(use.chunk));
  if (use.slot < 0 || use.slot >= buffer.getSlots())
    return mismatch("has " + Twine(buffer.getSlots()) + " slots; slot " +
                    Twine(use.slot) + " is out of range");
  return success();
}

static SmallVector<BufferUse, 4> bufferUsesOf(Operation *op) {
  SmallVector<BufferUse, 4> uses;
  if (auto exec = dyn_cast<ExecOp>(op)) {
    int64_t c = exec.getChunk();
    bool forward = exec.getKind() == BlockKind::F;
    // Messages are named by the lower chunk of their boundary: F reads the
    // activation of boundary c-1 and writes that of c; B and D read the
    // gradient of boundary c (sent back by chunk c+1) and write that of c-1.
    if (auto in = exec.getInputAttr())
      uses.push_back({op, "in", in, *exec.getInputSlot(),
                      forward ? BufferRole::act : BufferRole::grad,
                      forward ? c - 1 : c});
    if (auto out = exec.getOutputAttr())
      uses.push_back({op, "out", out, *exec.getOutputSlot(),
                      forward ? BufferRole::act : BufferRole::grad,
                      forward ? c : c - 1});
    if (auto stash = exec.getStashAttr())
      uses.push_back(
          {op, "stash", stash, *exec.getStashSlot(), BufferRole::stash, c});
    if (auto grads = exec.getGradsAttr())
      uses.push_back({op, "grads", grads, 0, BufferRole::param_grad, c});
  } else if (auto send = dyn_cast<SendOp>(op)) {
    uses.push_back({op, "buffer", send.getBufferAttr(), send.getSlot(),
                    send.getKind() == TransferKind::act ? BufferRole::act
                                                        : BufferRole::grad,
                    send.getChunk()});
  } else if (auto recv = dyn_cast<RecvOp>(op)) {
    uses.push_back({op, "buffer", recv.getBufferAttr(), recv.getSlot(),
                    recv.getKind() == TransferKind::act ? BufferRole::act
                                                        : BufferRole::grad,
                    recv.getChunk()});
  } else if (auto ar = dyn_cast<DpAllReduceOp>(op)) {
    uses.push_back({op, "buffer", ar.getBufferAttr(), 0, BufferRole::param_grad,
                    ar.getChunk()});
  }
  return uses;
}

LogicalResult PlanOp::verifyRegions() {
  if (getDevices() < 1)
    return emitOpError("expects at least one device, got ") << getDevices();
  mlir::SymbolTable buffers(getOperation());
  for (Operation &op : getBody().front()) {
    if (!isa<BufferOp, ExecOp, SendOp, RecvOp, DpAllReduceOp>(op))
      return op.emitOpError("is not allowed in a crosspipe.plan, which holds "
                            "only buffer, exec, send, recv and dp_allreduce "
                            "ops");
    if (auto buffer = dyn_cast<BufferOp>(op)) {
      if (buffer.getDevice() >= getDevices())
        return buffer.emitOpError("is on device ")
               << buffer.getDevice() << " but the plan has " << getDevices()
               << " devices";
      continue;
    }
    int64_t device = getOpDevice(&op);
    int64_t peer = device;
    if (auto send = dyn_cast<SendOp>(op))
      peer = send.getDst();
    if (auto recv = dyn_cast<RecvOp>(op))
      peer = recv.getSrc();
    if (device >= getDevices() || peer >= getDevices())
      return op.emitOpError("names device ")
             << std::max(device, peer) << " but the plan has " << getDevices()
             << " devices";
    for (const BufferUse &use : bufferUsesOf(&op))
      if (failed(checkBufferUse(buffers, use)))
        return failure();
    for (Value event : op.getOperands()) {
      Operation *def = event.getDefiningOp();
      if (!def || def->getParentOp() != getOperation())
        return op.emitOpError("waits on an event that no op of this plan "
                              "records");
      if (getOpDevice(def) == device)
        continue;
      InFlightDiagnostic diag = op.emitOpError("on device ")
                                << device << " waits on an event of device "
                                << getOpDevice(def)
                                << "; devices synchronize only through "
                                   "sends and receives";
      diag.attachNote(def->getLoc()) << "event recorded here";
      return diag;
    }
  }
  return success();
}

LogicalResult PlanOp::verifySymbolUses(SymbolTableCollection &symbols) {
  // The plan is a symbol table itself; its schedule is a sibling.
  auto schedule = symbols.lookupNearestSymbolFrom<ScheduleOp>(
      getOperation()->getParentOp(), getScheduleAttr());
  if (!schedule)
    return emitOpError("'@")
           << getSchedule() << "' does not reference a crosspipe.schedule";
  // The plan runs on (part of) the schedule's cluster: more devices would
  // only make the whole-plan proof allocate for devices that do not exist.
  auto pipeline = symbols.lookupNearestSymbolFrom<PipelineOp>(
      schedule, schedule.getPipelineAttr());
  auto cluster = pipeline ? symbols.lookupNearestSymbolFrom<ClusterOp>(
                                pipeline, pipeline.getClusterAttr())
                          : ClusterOp();
  if (cluster && getDevices() > cluster.getNumDevices()) {
    InFlightDiagnostic diag = emitOpError("runs on ")
                              << getDevices() << " devices, but cluster @"
                              << cluster.getSymName() << " has only "
                              << cluster.getNumDevices();
    diag.attachNote(cluster.getLoc()) << "cluster defined here";
    return diag;
  }
  return success();
}

std::string crosspipe::describePlanOp(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto exec = dyn_cast<ExecOp>(op)) {
    os << stringifyBlockKind(exec.getKind()) << " chunk " << exec.getChunk()
       << " mb " << exec.getMb();
    if (exec.getPartCount() > 1)
      os << " part " << exec.getPartIndex() << "/" << exec.getPartCount();
  } else if (auto send = dyn_cast<SendOp>(op)) {
    os << "send " << stringifyTransferKind(send.getKind()) << " chunk "
       << send.getChunk() << " mb " << send.getMb() << " to device "
       << send.getDst();
  } else if (auto recv = dyn_cast<RecvOp>(op)) {
    os << "recv " << stringifyTransferKind(recv.getKind()) << " chunk "
       << recv.getChunk() << " mb " << recv.getMb() << " from device "
       << recv.getSrc();
  } else if (auto ar = dyn_cast<DpAllReduceOp>(op)) {
    os << "dp_allreduce chunk " << ar.getChunk();
  }
  return text;
}
