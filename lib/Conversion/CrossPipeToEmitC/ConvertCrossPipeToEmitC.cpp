//===- ConvertCrossPipeToEmitC.cpp - The plan-to-EmitC pass ---------------===//
//
// Builds the shape of the generated file, then lets the patterns fill it:
// the #includes the code calls into, crosspipe_plan_describe (straight from
// the layout: it is data, not a lowering of ops), and the step function(s)
// with their streams hoisted to the entry. The plan's stream ops are moved
// into the function that will enqueue them (per device under NCCL, all into
// one under emulation) before the conversion runs, so patterns find their
// runtime pointer and streams in their enclosing function. Every crosspipe
// op is removed at the end: the module is pure EmitC.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"

#include "EmitCBuilder.h"

namespace crosspipe {
#define GEN_PASS_DEF_CONVERTCROSSPIPETOEMITCPASS
#include "crosspipe/Conversion/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

static const char *streamConstant(int kind) {
  static const char *names[] = {"CROSSPIPE_COMPUTE",   "CROSSPIPE_SEND_NEXT",
                                "CROSSPIPE_RECV_NEXT", "CROSSPIPE_SEND_PREV",
                                "CROSSPIPE_RECV_PREV", "CROSSPIPE_DP"};
  return names[kind];
}

static const char *roleConstant(BufferRole role) {
  switch (role) {
  case BufferRole::stash:
    return "CROSSPIPE_STASH";
  case BufferRole::act:
    return "CROSSPIPE_ACT";
  case BufferRole::grad:
    return "CROSSPIPE_GRAD";
  case BufferRole::param_grad:
    return "CROSSPIPE_PARAM_GRAD";
  }
  return "";
}

namespace {
struct ConvertCrossPipeToEmitCPass
    : crosspipe::impl::ConvertCrossPipeToEmitCPassBase<
          ConvertCrossPipeToEmitCPass> {
  using Base::Base;

  void runOnOperation() override;
  FailureOr<PlanOp> choosePlan();
  void buildIncludes(OpBuilder &b, Location loc);
  void buildDescribe(OpBuilder &b, Location loc, PlanOp plan);
  void describeRecords(EmitCBuilder &e, Value desc);
  emitc::FuncOp buildFunction(OpBuilder &b, Location loc, StringRef name,
                              StringRef argType, bool isStatic);
  void hoistStreams(emitc::FuncOp func, ArrayRef<int> devices,
                    ArrayRef<Operation *> ops);
  void buildDeviceSteps(OpBuilder &b, Location loc,
                        ArrayRef<Operation *> streamOps);

  PlanLayout layout;
  PlanLoweringState state;
};
} // namespace

FailureOr<PlanOp> ConvertCrossPipeToEmitCPass::choosePlan() {
  ModuleOp module = getOperation();
  SmallVector<PlanOp> plans;
  for (PlanOp plan : module.getOps<PlanOp>())
    if (planName.empty() || plan.getSymName() == planName)
      plans.push_back(plan);
  if (plans.size() == 1)
    return plans.front();
  if (plans.empty())
    return emitError(module.getLoc())
           << (planName.empty() ? std::string("no crosspipe.plan to lower; "
                                              "run --crosspipe-execution-plan "
                                              "first")
                                : "no crosspipe.plan named '" + planName + "'");
  return emitError(module.getLoc()) << "the module has " << plans.size()
                                    << " plans; choose one with plan=NAME";
}

emitc::FuncOp ConvertCrossPipeToEmitCPass::buildFunction(OpBuilder &b,
                                                         Location loc,
                                                         StringRef name,
                                                         StringRef argType,
                                                         bool isStatic) {
  EmitCBuilder e(b, loc);
  auto type = b.getFunctionType({e.pointer(argType)}, {});
  auto func = b.create<emitc::FuncOp>(loc, name, type);
  if (isStatic)
    func.setSpecifiersAttr(b.getStrArrayAttr({"static"}));
  Block *entry = func.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(entry);
  b.create<emitc::ReturnOp>(loc, Value());
  return func;
}

void ConvertCrossPipeToEmitCPass::buildIncludes(OpBuilder &b, Location loc) {
  b.create<emitc::IncludeOp>(loc, "cuda_runtime.h", /*standard=*/true);
  if (layout.backend == PlanBackend::Nccl)
    b.create<emitc::IncludeOp>(loc, "nccl.h", /*standard=*/true);
  b.create<emitc::IncludeOp>(loc, "crosspipe/Runtime/Runtime.h",
                             /*standard=*/false);
}

void ConvertCrossPipeToEmitCPass::buildDescribe(OpBuilder &b, Location loc,
                                                PlanOp plan) {
  emitc::FuncOp func =
      buildFunction(b, loc, "crosspipe_plan_describe", "crosspipe_plan_desc",
                    /*isStatic=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(func.getBody().front().getTerminator());
  EmitCBuilder e(b, loc);
  Value desc = func.getArgument(0);
  const sched::Problem &p = layout.problem;
  bool emulate = layout.backend == PlanBackend::Emulate;
  e.comment("Plan @" + plan.getSymName() + " of schedule @" +
            plan.getSchedule() + " (" + layout.algorithm + ")");
  e.callVoid(
      "crosspipe_desc_plan",
      {desc, e.str(plan.getSymName()), e.str(layout.algorithm),
       e.lit(emulate ? "CROSSPIPE_BACKEND_EMULATE" : "CROSSPIPE_BACKEND_NCCL"),
       e.i32(layout.numDevices), e.i32(p.numChunks()), e.i32(p.numMicrobatches),
       e.i32(p.dpDegree), e.f64(layout.makespanMs),
       e.f64(layout.lowerBoundMs)});
  e.comment("Chunks: device, forward, backward, dgrad, wgrad, all-reduce "
            "(ms)");
  for (int c = 0; c < p.numChunks(); ++c) {
    const sched::Chunk &chunk = p.chunks[c];
    e.callVoid("crosspipe_desc_chunk",
               {desc, e.i32(c), e.i32(chunk.device), e.f64(chunk.forwardMs),
                e.f64(chunk.backwardMs), e.f64(chunk.dgradMs),
                e.f64(chunk.wgradMs), e.f64(p.allreduceMs(c))});
  }
  e.comment("Buffers: id, device, name, role, chunk, slots, bytes per slot");
  for (auto [id, buffer] : llvm::enumerate(layout.buffers))
    e.callVoid("crosspipe_desc_buffer",
               {desc, e.i32(id), e.i32(buffer.getDevice()),
                e.str(buffer.getSymName()),
                e.lit(roleConstant(buffer.getRole())), e.i32(buffer.getChunk()),
                e.i32(buffer.getSlots()), e.size(buffer.getSize().getBytes())});
  e.comment("Events of each device: first, count");
  for (auto [d, range] : llvm::enumerate(layout.deviceEvents))
    e.callVoid("crosspipe_desc_events",
               {desc, e.i32(d), e.i32(range.first), e.i32(range.second)});
  if (!emulate) {
    e.comment("NCCL channels: one communicator per direction, kind and "
              "device pair");
    for (auto &[key, id] : layout.channels) {
      auto [kind, src, dst] = key;
      e.callVoid(
          "crosspipe_desc_channel",
          {desc, e.i32(id), e.i32(src), e.i32(dst),
           e.lit(TransferKind(kind) == TransferKind::act ? "CROSSPIPE_ACT"
                                                         : "CROSSPIPE_GRAD")});
    }
  }
  e.comment("Links of the model");
  for (auto [id, name] : llvm::enumerate(layout.linkNames))
    e.callVoid("crosspipe_desc_link", {desc, e.i32(id), e.str(name)});
  describeRecords(e, desc);
}

/// The timed records of the plan (blocks, transfers, DP all-reduces): ids,
/// events and simulated spans the runtime reports next to measured ones.
void ConvertCrossPipeToEmitCPass::describeRecords(EmitCBuilder &e, Value desc) {
  e.comment("Blocks: id, device, kind, chunk, mb, part, parts, start and end "
            "events, simulated span");
  for (ExecOp block : layout.blocks) {
    const PlanLayout::OpIds &ids = layout.ids.lookup(block);
    double start = block.getStartAttr() ? block.getStartAttr().getMs() : 0;
    double end = block.getEndAttr() ? block.getEndAttr().getMs() : 0;
    e.callVoid("crosspipe_desc_block",
               {desc, e.i32(ids.record), e.i32(block.getDevice()),
                e.lit(std::string("'") +
                      stringifyBlockKind(block.getKind()).str() + "'"),
                e.i32(block.getChunk()), e.i32(block.getMb()),
                e.i32(block.getPartIndex()), e.i32(block.getPartCount()),
                e.i32(ids.startEvent), e.i32(ids.endEvent), e.f64(start),
                e.f64(end)});
  }
  e.comment("Transfers: id, role, chunk, mb, src, dst, link, start and end "
            "events, simulated link occupancy");
  for (SendOp send : layout.transfers) {
    const PlanLayout::OpIds &ids = layout.ids.lookup(send);
    double start = send.getStartAttr() ? send.getStartAttr().getMs() : 0;
    double end = send.getEndAttr() ? send.getEndAttr().getMs() : 0;
    e.callVoid("crosspipe_desc_transfer",
               {desc, e.i32(ids.record),
                e.lit(send.getKind() == TransferKind::act ? "CROSSPIPE_ACT"
                                                          : "CROSSPIPE_GRAD"),
                e.i32(send.getChunk()), e.i32(send.getMb()),
                e.i32(send.getSrc()), e.i32(send.getDst()),
                e.i32(layout.linkOf(send.getSrc(), send.getDst())),
                e.i32(ids.startEvent), e.i32(ids.endEvent), e.f64(start),
                e.f64(end)});
  }
  if (!layout.reduces.empty())
    e.comment("DP all-reduces: id, chunk, device, start and end events, "
              "simulated span");
  for (DpAllReduceOp ar : layout.reduces) {
    const PlanLayout::OpIds &ids = layout.ids.lookup(ar);
    double start = ar.getStartAttr() ? ar.getStartAttr().getMs() : 0;
    double end = ar.getEndAttr() ? ar.getEndAttr().getMs() : 0;
    e.callVoid("crosspipe_desc_allreduce",
               {desc, e.i32(ids.record), e.i32(ar.getChunk()),
                e.i32(ar.getDevice()), e.i32(ids.startEvent),
                e.i32(ids.endEvent), e.f64(start), e.f64(end)});
  }
}

void ConvertCrossPipeToEmitCPass::hoistStreams(emitc::FuncOp func,
                                               ArrayRef<int> devices,
                                               ArrayRef<Operation *> ops) {
  OpBuilder b(func.getContext());
  b.setInsertionPointToStart(&func.getBody().front());
  EmitCBuilder e(b, func.getLoc());
  Value rt = func.getArgument(0);
  std::set<std::pair<int, int>> used;
  std::set<int> links;
  for (Operation *op : ops) {
    auto send = dyn_cast<SendOp>(op);
    if (layout.backend == PlanBackend::Emulate && isa<RecvOp>(op))
      continue;
    if (layout.backend == PlanBackend::Emulate && send) {
      links.insert(layout.linkOf(send.getSrc(), send.getDst()));
      continue;
    }
    used.insert({int(PlanOp::getOpDevice(op)), int(PlanOp::getOpStream(op))});
  }
  for (int d : devices) {
    bool any = llvm::any_of(used, [&](auto p) { return p.first == d; });
    if (!any)
      continue;
    e.comment("Streams of device " + std::to_string(d));
    for (int kind = 0; kind < 6; ++kind) {
      if (!used.count({d, kind}))
        continue;
      state.streams[{func, d, kind}] =
          e.call("crosspipe_stream", e.type("cudaStream_t"),
                 {rt, e.i32(d), e.lit(streamConstant(kind))});
    }
  }
  for (int link : links) {
    e.comment("Stream of link " + layout.linkNames[link]);
    state.linkStreams[{func, link}] = e.call(
        "crosspipe_link_stream", e.type("cudaStream_t"), {rt, e.i32(link)});
  }
}

/// The NCCL backend: one function per device with that device's stream ops,
/// and crosspipe_plan_step, which calls the function of the process's device.
void ConvertCrossPipeToEmitCPass::buildDeviceSteps(
    OpBuilder &b, Location loc, ArrayRef<Operation *> streamOps) {
  SmallVector<emitc::FuncOp> deviceFuncs;
  for (int d = 0; d < layout.numDevices; ++d) {
    emitc::FuncOp func =
        buildFunction(b, loc, "crosspipe_step_device_" + std::to_string(d),
                      "crosspipe_runtime", /*isStatic=*/true);
    SmallVector<Operation *> mine;
    for (Operation *op : streamOps)
      if (PlanOp::getOpDevice(op) == d)
        mine.push_back(op);
    hoistStreams(func, {d}, mine);
    Operation *ret = func.getBody().front().getTerminator();
    for (Operation *op : mine)
      op->moveBefore(ret);
    deviceFuncs.push_back(func);
  }
  // Each process runs the function of its own device.
  emitc::FuncOp step =
      buildFunction(b, loc, "crosspipe_plan_step", "crosspipe_runtime", false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(step.getBody().front().getTerminator());
  EmitCBuilder e(b, loc);
  Value rt = step.getArgument(0);
  Value device = e.call("crosspipe_device", b.getI32Type(), {rt});
  for (auto [d, func] : llvm::enumerate(deviceFuncs)) {
    Value literal =
        b.create<emitc::LiteralOp>(loc, b.getI32Type(), std::to_string(d));
    Value mine = b.create<emitc::CmpOp>(
        loc, b.getI1Type(), emitc::CmpPredicate::eq, device, literal);
    b.create<emitc::IfOp>(loc, mine, [&](OpBuilder &nested, Location l) {
      nested.create<emitc::CallOp>(l, func, ValueRange{rt});
      nested.create<emitc::YieldOp>(l);
    });
  }
}

void ConvertCrossPipeToEmitCPass::runOnOperation() {
  ModuleOp module = getOperation();
  PlanBackend kind = backend;
  FailureOr<PlanOp> plan = choosePlan();
  if (failed(plan))
    return signalPassFailure();
  FailureOr<PlanLayout> built = PlanLayout::build(*plan, kind);
  if (failed(built))
    return signalPassFailure();
  layout = std::move(*built);
  state.layout = &layout;

  Location loc = plan->getLoc();
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  buildIncludes(b, loc);
  buildDescribe(b, loc, *plan);

  // The step: ops move, in plan order, into the function that enqueues
  // them.
  SmallVector<Operation *> streamOps;
  for (Operation &op : plan->getBody().front())
    if (!isa<BufferOp>(op))
      streamOps.push_back(&op);
  if (kind == PlanBackend::Emulate) {
    emitc::FuncOp step = buildFunction(b, loc, "crosspipe_plan_step",
                                       "crosspipe_runtime", false);
    SmallVector<int> all;
    for (int d = 0; d < layout.numDevices; ++d)
      all.push_back(d);
    hoistStreams(step, all, streamOps);
    Operation *ret = step.getBody().front().getTerminator();
    for (Operation *op : streamOps)
      op->moveBefore(ret);
  } else {
    buildDeviceSteps(b, loc, streamOps);
  }

  ConversionTarget target(getContext());
  target.addLegalDialect<emitc::EmitCDialect>();
  target.addIllegalOp<ExecOp, SendOp, RecvOp, DpAllReduceOp>();
  PlanTypeConverter converter(&getContext());
  RewritePatternSet patterns(&getContext());
  populateCrossPipePlanToEmitCPatterns(patterns, converter, state);
  if (failed(applyPartialConversion(module, target, std::move(patterns))))
    return signalPassFailure();

  // The generated file needs nothing else from the crosspipe dialect.
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (isa<CrossPipeDialect>(op.getDialect()))
      op.erase();
}

llvm::cl::ValuesClass crosspipe::planBackendValues() {
  return llvm::cl::values(
      clEnumValN(PlanBackend::Nccl, "nccl",
                 "one process per GPU; NCCL sends and receives"),
      clEnumValN(PlanBackend::Emulate, "emulate",
                 "one GPU plays every device; links emulated on streams"));
}
