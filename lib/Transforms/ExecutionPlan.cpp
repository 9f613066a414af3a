//===- ExecutionPlan.cpp - The --crosspipe-execution-plan pass ------------===//
//
// Reads a schedule, simulates it, asks the plan model (crosspipe/Plan) for
// its streams, events and buffer slots, and writes the result as a
// crosspipe.plan next to the schedule. The plan proof is the separate
// --crosspipe-verify-plan pass (VerifyPlan.cpp).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/ExecutionPlan.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace crosspipe {
#define GEN_PASS_DEF_EXECUTIONPLANPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
BufferRole roleOf(plan::BufferRole role) {
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

PlanStream streamOf(plan::Stream stream) {
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
  void emit(StringRef name);

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
    b.create<BufferOp>(
        op.getLoc(), TypeRange{}, ValueRange{},
        ArrayRef<NamedAttribute>{
            named("sym_name", b.getStringAttr(buf.name)),
            named("device", i64(buf.device)),
            named("role", BufferRoleAttr::get(ctx, roleOf(buf.role))),
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
  return b.create<ExecOp>(compute.getLoc(), TypeRange{b.getNoneType()}, waits,
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
      named("stream", PlanStreamAttr::get(ctx, streamOf(a.stream))),
      named("buffer", sym(a.buffer.buffer)),
      named("slot", i64(a.buffer.slot))};
  Type none = b.getNoneType();
  if (send) {
    attrs.push_back(named("start", time(a.occupancy.startMs)));
    attrs.push_back(named("end", time(a.occupancy.endMs)));
    return b.create<SendOp>(locOf(a.anchor), TypeRange{none}, waits, attrs);
  }
  attrs.push_back(named("arrival", time(a.arrivalMs)));
  return b.create<RecvOp>(locOf(a.anchor), TypeRange{none}, waits, attrs);
}

Operation *PlanEmitter::emitReduce(const plan::Action &a, ValueRange waits) {
  SmallVector<NamedAttribute> attrs = {
      named("chunk", i64(a.chunk)), named("device", i64(a.device)),
      named("buffer", sym(a.gradBuffer)), named("start", time(a.time.startMs)),
      named("end", time(a.time.endMs))};
  return b.create<DpAllReduceOp>(op.getLoc(), TypeRange{b.getNoneType()}, waits,
                                 attrs);
}

void PlanEmitter::emit(StringRef name) {
  b.setInsertionPointAfter(op);
  auto planOp = b.create<PlanOp>(op.getLoc(), b.getStringAttr(name),
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
}

namespace {
struct ExecutionPlanPass
    : crosspipe::impl::ExecutionPlanPassBase<ExecutionPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ScheduleOp> schedules;
    for (ScheduleOp s : module.getOps<ScheduleOp>())
      if (scheduleName.empty() || s.getSymName() == scheduleName)
        schedules.push_back(s);
    if (!scheduleName.empty() && schedules.empty()) {
      emitError(module.getLoc(), "no crosspipe.schedule named '")
          << scheduleName << "' to plan";
      return signalPassFailure();
    }
    for (ScheduleOp s : schedules)
      if (failed(planOne(module, s)))
        return signalPassFailure();
  }

  LogicalResult planOne(ModuleOp module, ScheduleOp s) {
    FailureOr<LoadedSchedule> loaded = loadScheduleOp(s);
    if (failed(loaded))
      return failure();
    const sched::Problem &problem = loaded->problem;
    if (problem.dpBuckets > 1 || problem.zero1)
      return s.emitOpError("has bucketed or ZeRO-1 data-parallel collectives "
                           "(--crosspipe-dp-overlap), which execution plans "
                           "do not lower yet; plan it without them");
    sched::SimResult sim = sched::simulate(problem, loaded->read.schedule);
    if (!sim.ok)
      return s.emitOpError("cannot be planned: ")
             << sim.error << " (run --crosspipe-verify-schedule for details)";
    plan::Plan result;
    if (std::string err =
            plan::buildPlan(problem, loaded->read.schedule, sim, result);
        !err.empty())
      return s.emitOpError(err);
    std::string name = (s.getSymName() + "_plan").str();
    if (Operation *old = SymbolTable::lookupSymbolIn(module, name)) {
      // Only an earlier plan is replaced; another symbol of that name stays.
      if (!isa<PlanOp>(old)) {
        InFlightDiagnostic diag = s.emitOpError("cannot name its plan '")
                                  << name << "': a " << old->getName()
                                  << " already has that name";
        diag.attachNote(old->getLoc()) << "the other symbol";
        return diag;
      }
      old->erase();
    }
    PlanEmitter(s, loaded->read, result).emit(name);
    return success();
  }
};
} // namespace
