//===- PlanToEmitC.cpp - Patterns from plan ops to CUDA/NCCL calls --------===//
//
// One pattern per stream op. Each waits for its `after` events on its
// stream, records a start event, does its work and records its end event,
// which replaces the op's token so later waits refer to it. Every call's
// status goes to a crosspipe_check_* call with a message that names the
// device, block and microbatch. Under the emulate backend a receive is only
// its arrival event; its send does the copy on the link's stream, after
// both its own producer and the receive's slot are ready, which is why
// receives precede their sends in plan order.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"

#include "EmitCBuilder.h"

#include "crosspipe/Dialect/Quantities.h"

using namespace mlir;
using namespace crosspipe;

PlanTypeConverter::PlanTypeConverter(MLIRContext *ctx) {
  addConversion([](Type type) { return type; });
  addConversion([ctx](NoneType) -> Type {
    return emitc::OpaqueType::get(ctx, "cudaEvent_t");
  });
}

namespace {

const char *stageEntry(BlockKind kind) {
  switch (kind) {
  case BlockKind::F:
    return "crosspipe_stage_forward";
  case BlockKind::B:
    return "crosspipe_stage_backward";
  case BlockKind::D:
    return "crosspipe_stage_dgrad";
  case BlockKind::W:
    return "crosspipe_stage_wgrad";
  }
  return "";
}

std::string ms(double value) { return formatNumber(value) + " ms"; }

/// What all plan-op patterns share: the runtime pointer, streams, event
/// records with checked status, and messages.
template <typename OpT>
class PlanPattern : public OpConversionPattern<OpT> {
public:
  PlanPattern(PlanTypeConverter &converter, MLIRContext *ctx,
              const PlanLoweringState &state)
      : OpConversionPattern<OpT>(converter, ctx), state(state) {}

protected:
  const PlanLayout &layout() const { return *state.layout; }
  static Value runtime(Operation *op) {
    return op->getParentOfType<emitc::FuncOp>().getArgument(0);
  }
  Value stream(Operation *op, int64_t device, PlanStream kind) const {
    return state.streams.at({op->getParentOfType<emitc::FuncOp>(),
                             int(device), int(kind)});
  }
  Value linkStream(Operation *op, int link) const {
    return state.linkStreams.at({op->getParentOfType<emitc::FuncOp>(), link});
  }
  /// "device 1: F chunk 1 mb 0".
  static std::string where(Operation *op) {
    return "device " + std::to_string(PlanOp::getOpDevice(op)) + ": " +
           describePlanOp(op);
  }

  void checkCuda(EmitCBuilder &e, Value rt, Value status,
                 const Twine &what) const {
    e.callVoid("crosspipe_check_cuda", {rt, status, e.str(what.str())});
  }
  void checkNccl(EmitCBuilder &e, Value rt, Value status,
                 const Twine &what) const {
    e.callVoid("crosspipe_check_nccl", {rt, status, e.str(what.str())});
  }
  Type errorType(EmitCBuilder &e) const { return e.type("cudaError_t"); }
  Type eventType(EmitCBuilder &e) const { return e.type("cudaEvent_t"); }

  /// cudaStreamWaitEvent for each converted event, naming what it waits for.
  void waitFor(EmitCBuilder &e, Value rt, Value s, ValueRange original,
               ValueRange converted, const std::string &what) const {
    for (auto [orig, event] : llvm::zip(original, converted)) {
      Value status = e.call("cudaStreamWaitEvent", errorType(e),
                            {s, event, e.lit("0")});
      checkCuda(e, rt, status,
                what + ": wait for " + describePlanOp(orig.getDefiningOp()));
    }
  }
  /// cudaEventRecord of event `id` on `s`; returns the event.
  Value record(EmitCBuilder &e, Value rt, Value s, int id,
               const std::string &what) const {
    Value event = e.call("crosspipe_event", eventType(e), {rt, e.i32(id)});
    Value status = e.call("cudaEventRecord", errorType(e), {event, s});
    checkCuda(e, rt, status, what);
    return event;
  }
  /// A record whose event is used only here, fetched inline.
  void recordInline(EmitCBuilder &e, Value rt, Value s, int id,
                    const std::string &what) const {
    Value status = e.nested(errorType(e), [&](EmitCBuilder &x) {
      Value event = x.call("crosspipe_event", eventType(x), {rt, x.i32(id)});
      return x.call("cudaEventRecord", errorType(x), {event, s});
    });
    checkCuda(e, rt, status, what);
  }
  Value slot(EmitCBuilder &e, Value rt, FlatSymbolRefAttr buffer,
             int64_t slot) const {
    return e.call("crosspipe_slot", e.pointer("void"),
                  {rt, e.i32(layout().bufferId.lookup(buffer.getValue())),
                   e.i32(slot)});
  }
  Value transferBytes(EmitCBuilder &e, Value rt,
                      FlatSymbolRefAttr buffer) const {
    return e.call("crosspipe_transfer_bytes", e.type("size_t"),
                  {rt, e.i32(layout().bufferId.lookup(buffer.getValue()))});
  }

  const PlanLoweringState &state;
};

//===----------------------------------------------------------------------===//
// Compute blocks
//===----------------------------------------------------------------------===//

struct ExecLowering : PlanPattern<ExecOp> {
  using PlanPattern::PlanPattern;

  LogicalResult
  matchAndRewrite(ExecOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    EmitCBuilder e(rewriter, op.getLoc());
    Value rt = runtime(op);
    Value s = stream(op, op.getDevice(), PlanStream::compute);
    const PlanLayout::OpIds &ids = layout().ids.lookup(op);
    std::string what = where(op);
    std::string span;
    if (op.getStartAttr())
      span = ", simulated " + ms(op.getStartAttr().getMs()) + " to " +
             ms(op.getEndAttr().getMs());
    e.comment(what + span);
    waitFor(e, rt, s, op.getAfter(), adaptor.getAfter(), what);
    recordInline(e, rt, s, ids.startEvent, what + ": start event");

    int64_t c = op.getChunk(), mb = op.getMb();
    bool forward = op.getKind() == BlockKind::F;
    int block = ids.record;
    auto tag = [&](StringRef fn, FlatSymbolRefAttr buffer, int64_t slotIdx,
                   StringRef role, int64_t chunk, bool check,
                   const std::string &message) {
      SmallVector<CallArg> args = {
          rt, e.i32(layout().bufferId.lookup(buffer.getValue())),
          e.i32(slotIdx), e.lit(role), e.i32(chunk), e.i32(mb)};
      if (check)
        args.push_back(e.i32(block));
      args.push_back(s);
      checkCuda(e, rt, e.call(fn, errorType(e), args), message);
    };
    // Inputs are checked before the first part, outputs tagged after the
    // last; the stash is tagged by F and checked by the blocks that read it.
    // A message's tag names its boundary by the lower chunk, as the plan.
    if (op.getPartIndex() == 0) {
      if (auto in = op.getInputAttr())
        tag("crosspipe_tag_check", in, *op.getInputSlot(),
            forward ? "CROSSPIPE_ACT" : "CROSSPIPE_GRAD", forward ? c - 1 : c,
            true, what + ": input tag check");
      if (!forward && op.getStashAttr())
        tag("crosspipe_tag_check", op.getStashAttr(), *op.getStashSlot(),
            "CROSSPIPE_STASH", c, true, what + ": stash tag check");
    }
    Value status = e.nested(e.type("int"), [&](EmitCBuilder &x) {
      auto ptr = [&](FlatSymbolRefAttr buffer,
                     std::optional<int64_t> slotIdx) -> CallArg {
        if (!buffer)
          return x.lit("nullptr");
        return slot(x, rt, buffer, slotIdx.value_or(0));
      };
      return x.call(stageEntry(op.getKind()), x.type("int"),
                    {x.i32(c), x.i32(mb), x.i32(op.getPartIndex()),
                     x.i32(op.getPartCount()),
                     ptr(op.getInputAttr(), op.getInputSlot()),
                     ptr(op.getOutputAttr(), op.getOutputSlot()),
                     ptr(op.getStashAttr(), op.getStashSlot()),
                     ptr(op.getGradsAttr(), 0), s});
    });
    e.callVoid("crosspipe_check_stage", {rt, status, e.str(what)});
    if (op.getPartIndex() + 1 == op.getPartCount()) {
      if (auto out = op.getOutputAttr())
        tag("crosspipe_tag_write", out, *op.getOutputSlot(),
            forward ? "CROSSPIPE_ACT" : "CROSSPIPE_GRAD", forward ? c : c - 1,
            false, what + ": output tag");
      if (forward && op.getStashAttr())
        tag("crosspipe_tag_write", op.getStashAttr(), *op.getStashSlot(),
            "CROSSPIPE_STASH", c, false, what + ": stash tag");
    }
    Value done = record(e, rt, s, ids.endEvent, what + ": end event");
    rewriter.replaceOp(op, done);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Transfers over NCCL
//===----------------------------------------------------------------------===//

struct NcclSendLowering : PlanPattern<SendOp> {
  using PlanPattern::PlanPattern;

  LogicalResult
  matchAndRewrite(SendOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    EmitCBuilder e(rewriter, op.getLoc());
    Value rt = runtime(op);
    Value s = stream(op, op.getSrc(), op.getStream());
    const PlanLayout::OpIds &ids = layout().ids.lookup(op);
    int channel = layout().channelOf(op.getKind(), op.getSrc(), op.getDst());
    std::string what = where(op);
    int boundary = int(op.getChunk());
    double bw = layout().bandwidthMs(op.getSrc(), op.getDst(), boundary);
    e.comment(what + " on channel " + std::to_string(channel) +
              " (modelled link time " + ms(bw) + ")");
    waitFor(e, rt, s, op.getAfter(), adaptor.getAfter(), what);
    recordInline(e, rt, s, ids.startEvent, what + ": start event");
    checkCuda(e, rt,
              e.call("crosspipe_wan_spin", errorType(e),
                     {rt, e.f64(bw), s}),
              what + ": emulated bandwidth");
    Value status = e.nested(e.type("ncclResult_t"), [&](EmitCBuilder &x) {
      Value comm = x.call("crosspipe_channel_comm", x.type("ncclComm_t"),
                          {rt, x.i32(channel)});
      return x.call("ncclSend", x.type("ncclResult_t"),
                    {slot(x, rt, op.getBufferAttr(), op.getSlot()),
                     transferBytes(x, rt, op.getBufferAttr()),
                     x.lit("ncclUint8"), x.lit("1"), comm, s});
    });
    checkNccl(e, rt, status, what);
    Value done = record(e, rt, s, ids.endEvent, what + ": end event");
    rewriter.replaceOp(op, done);
    return success();
  }
};

struct NcclRecvLowering : PlanPattern<RecvOp> {
  using PlanPattern::PlanPattern;

  LogicalResult
  matchAndRewrite(RecvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    EmitCBuilder e(rewriter, op.getLoc());
    Value rt = runtime(op);
    Value s = stream(op, op.getDst(), op.getStream());
    const PlanLayout::OpIds &ids = layout().ids.lookup(op);
    int channel = layout().channelOf(op.getKind(), op.getSrc(), op.getDst());
    std::string what = where(op);
    double latency = layout().latencyMs(op.getSrc(), op.getDst());
    e.comment(what + " on channel " + std::to_string(channel) +
              " (modelled latency " + ms(latency) + ")");
    waitFor(e, rt, s, op.getAfter(), adaptor.getAfter(), what);
    Value status = e.nested(e.type("ncclResult_t"), [&](EmitCBuilder &x) {
      Value comm = x.call("crosspipe_channel_comm", x.type("ncclComm_t"),
                          {rt, x.i32(channel)});
      return x.call("ncclRecv", x.type("ncclResult_t"),
                    {slot(x, rt, op.getBufferAttr(), op.getSlot()),
                     transferBytes(x, rt, op.getBufferAttr()),
                     x.lit("ncclUint8"), x.lit("0"), comm, s});
    });
    checkNccl(e, rt, status, what);
    Value arrived =
        e.call("crosspipe_event", eventType(e), {rt, e.i32(ids.endEvent)});
    checkCuda(e, rt,
              e.call("crosspipe_record_arrival", errorType(e),
                     {rt, arrived, s,
                      e.i32(layout().linkOf(op.getSrc(), op.getDst())),
                      e.f64(latency)}),
              what + ": arrival event");
    rewriter.replaceOp(op, arrived);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Transfers emulated on one GPU
//===----------------------------------------------------------------------===//

struct EmulatedRecvLowering : PlanPattern<RecvOp> {
  using PlanPattern::PlanPattern;

  LogicalResult
  matchAndRewrite(RecvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    EmitCBuilder e(rewriter, op.getLoc());
    const PlanLayout::OpIds &ids = layout().ids.lookup(op);
    e.comment(where(op) + ": arrives with the copy of its send");
    Value arrived = e.call("crosspipe_event", eventType(e),
                           {runtime(op), e.i32(ids.endEvent)});
    rewriter.replaceOp(op, arrived);
    return success();
  }
};

struct EmulatedSendLowering : PlanPattern<SendOp> {
  using PlanPattern::PlanPattern;

  LogicalResult
  matchAndRewrite(SendOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RecvOp recv = layout().recvOf.lookup(op);
    FailureOr<Value> arrived = rewriter.getRemappedValue(recv.getDone());
    SmallVector<Value> recvWaits;
    for (Value v : recv.getAfter()) {
      FailureOr<Value> mapped = rewriter.getRemappedValue(v);
      if (failed(mapped))
        return failure();
      recvWaits.push_back(*mapped);
    }
    if (failed(arrived) || (*arrived).getType() == op.getDone().getType())
      return rewriter.notifyMatchFailure(op, "receive not lowered yet");

    EmitCBuilder e(rewriter, op.getLoc());
    Value rt = runtime(op);
    int link = layout().linkOf(op.getSrc(), op.getDst());
    Value s = linkStream(op, link);
    const PlanLayout::OpIds &ids = layout().ids.lookup(op);
    int boundary = int(op.getChunk());
    double bw = layout().bandwidthMs(op.getSrc(), op.getDst(), boundary);
    double latency = layout().latencyMs(op.getSrc(), op.getDst());
    std::string what = where(op);
    e.comment(what + " over link " + layout().linkNames[link] +
              " (bandwidth time " + ms(bw) + ", latency " + ms(latency) +
              ")");
    waitFor(e, rt, s, op.getAfter(), adaptor.getAfter(), what);
    waitFor(e, rt, s, recv.getAfter(), recvWaits, what);
    recordInline(e, rt, s, ids.startEvent, what + ": start event");
    checkCuda(e, rt, e.call("crosspipe_spin", errorType(e), {rt, e.f64(bw), s}),
              what + ": link bandwidth");
    Value status = e.nested(errorType(e), [&](EmitCBuilder &x) {
      return x.call("cudaMemcpyAsync", errorType(x),
                    {slot(x, rt, recv.getBufferAttr(), recv.getSlot()),
                     slot(x, rt, op.getBufferAttr(), op.getSlot()),
                     transferBytes(x, rt, op.getBufferAttr()),
                     x.lit("cudaMemcpyDeviceToDevice"), s});
    });
    checkCuda(e, rt, status, what + ": copy");
    Value done = record(e, rt, s, ids.endEvent, what + ": end event");
    checkCuda(e, rt,
              e.call("crosspipe_record_arrival", errorType(e),
                     {rt, *arrived, s, e.i32(link), e.f64(latency)}),
              what + ": arrival event");
    rewriter.replaceOp(op, done);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data-parallel all-reduces
//===----------------------------------------------------------------------===//

struct AllReduceLowering : PlanPattern<DpAllReduceOp> {
  using PlanPattern::PlanPattern;

  LogicalResult
  matchAndRewrite(DpAllReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    EmitCBuilder e(rewriter, op.getLoc());
    Value rt = runtime(op);
    Value s = stream(op, op.getDevice(), PlanStream::dp);
    const PlanLayout::OpIds &ids = layout().ids.lookup(op);
    std::string what = where(op);
    double modelled = layout().problem.allreduceMs(int(op.getChunk()));
    e.comment(what + " (modelled " + ms(modelled) + ")");
    waitFor(e, rt, s, op.getAfter(), adaptor.getAfter(), what);
    recordInline(e, rt, s, ids.startEvent, what + ": start event");
    if (layout().backend == PlanBackend::Emulate) {
      // One GPU has no replicas to reduce with: occupy the dp stream for
      // the modelled time instead.
      checkCuda(e, rt,
                e.call("crosspipe_spin", errorType(e),
                       {rt, e.f64(modelled), s}),
                what + ": emulated all-reduce");
    } else {
      int buffer = layout().bufferId.lookup(op.getBuffer());
      Value status = e.nested(e.type("ncclResult_t"), [&](EmitCBuilder &x) {
        Value data = slot(x, rt, op.getBufferAttr(), 0);
        Value same = slot(x, rt, op.getBufferAttr(), 0);
        Value count = x.call("crosspipe_dp_count", x.type("size_t"),
                             {rt, x.i32(buffer)});
        Value comm = x.call("crosspipe_dp_comm", x.type("ncclComm_t"), {rt});
        return x.call("ncclAllReduce", x.type("ncclResult_t"),
                      {data, same, count, x.lit("ncclBfloat16"),
                       x.lit("ncclSum"), comm, s});
      });
      checkNccl(e, rt, status, what);
    }
    Value done = record(e, rt, s, ids.endEvent, what + ": end event");
    rewriter.replaceOp(op, done);
    return success();
  }
};

} // namespace

void crosspipe::populateCrossPipePlanToEmitCPatterns(
    RewritePatternSet &patterns, PlanTypeConverter &converter,
    const PlanLoweringState &state) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ExecLowering, AllReduceLowering>(converter, ctx, state);
  if (state.layout->backend == PlanBackend::Emulate)
    patterns.add<EmulatedSendLowering, EmulatedRecvLowering>(converter, ctx,
                                                             state);
  else
    patterns.add<NcclSendLowering, NcclRecvLowering>(converter, ctx, state);
}
