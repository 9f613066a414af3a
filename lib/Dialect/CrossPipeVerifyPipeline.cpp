//===- CrossPipeVerifyPipeline.cpp - Verifiers of pipelines and stages ----===//
//
// What a pipeline and its stages must satisfy: positive costs, a memory
// budget with one stated source, and, against the cluster it runs on, the
// placement of its stages on existing devices, links for every message it
// sends, and device memory that holds one microbatch. Errors are on the
// pipeline or stage with a note at the cluster op involved.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Placement.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace crosspipe;

//===----------------------------------------------------------------------===//
// Pipeline
//===----------------------------------------------------------------------===//

SmallVector<StageOp, 8> PipelineOp::getStages() {
  return llvm::to_vector<8>(getBody().getOps<StageOp>());
}

int64_t StageOp::getIndex() {
  int64_t index = 0;
  for (Operation *op = getOperation()->getPrevNode(); op;
       op = op->getPrevNode())
    if (isa<StageOp>(op))
      ++index;
  return index;
}

void StageOp::copyMemoryTo(sched::Chunk &chunk) {
  chunk.activationBytes = getActivation().getBytes();
  if (BytesAttr held = getWgradActivationAttr())
    chunk.wgradActivationBytes = held.getBytes();
  chunk.recompute = getRecompute();
  if (BytesAttr kept = getCheckpointAttr())
    chunk.checkpointBytes = kept.getBytes();
  chunk.messageBytes = getMessage().getBytes();
}

LogicalResult PipelineOp::verify() {
  if (getMicrobatches() < 1)
    return emitOpError("expects at least one microbatch, got ")
           << getMicrobatches();
  if (getDpDegree() < 1)
    return emitOpError("expects a data-parallel degree of at least 1, got ")
           << getDpDegree();
  for (auto [attr, name] :
       {std::make_pair(getMemoryRelativeAttr(), "relative_to_1f1b"),
        std::make_pair(getMemoryRelativePeakAttr(), "relative_to_1f1b_peak")}) {
    if (!attr)
      continue;
    double f = attr.getValueAsDouble();
    if (!std::isfinite(f) || f <= 0)
      return emitOpError("expects a positive ")
             << name << " factor, got " << formatNumber(f);
  }
  // The device-memory breakdown comes whole or not at all.
  int breakdown =
      bool(getMemoryWeightsAttr()) + bool(getMemoryGradientsAttr()) +
      bool(getMemoryOptimizerAttr()) + bool(getMemoryReservedAttr());
  if (breakdown != 0 && breakdown != 4)
    return emitOpError("expects the device_memory breakdown whole: weights, "
                       "gradients, optimizer and reserved");
  int sources = bool(getMemoryRelativeAttr()) +
                bool(getMemoryRelativePeakAttr()) + (breakdown == 4);
  if (sources > 1)
    return emitOpError("expects at most one source of its memory limits "
                       "(relative_to_1f1b, relative_to_1f1b_peak or "
                       "device_memory)");
  ArrayAttr limits = getMemoryLimitsAttr();
  if (sources == 1 && !limits)
    return emitOpError("says where its memory limits came from but has "
                       "none");
  if (breakdown == 4)
    for (auto [list, name] :
         {std::make_pair(getMemoryWeightsAttr(), "weights"),
          std::make_pair(getMemoryGradientsAttr(), "gradients"),
          std::make_pair(getMemoryOptimizerAttr(), "optimizer")})
      if (list.size() != limits.size())
        return emitOpError("lists ")
               << list.size() << " device_memory " << name << " for "
               << limits.size() << " memory limits";
  return success();
}

LogicalResult PipelineOp::verifyRegions() {
  for (Operation &op : getBody().front())
    if (!isa<StageOp>(op))
      return op.emitOpError("is not allowed in a crosspipe.pipeline, which "
                            "holds only crosspipe.stage ops");
  if (getBody().front().empty())
    return emitOpError("expects at least one crosspipe.stage");
  return success();
}

static LogicalResult checkPositive(StageOp stage, StringRef name,
                                   TimeAttr attr) {
  if (!attr)
    return success();
  double ms = attr.getMs();
  if (!std::isfinite(ms) || ms <= 0)
    return stage.emitOpError("expects a positive ")
           << name << " time, got " << formatNumber(ms) << " ms";
  return success();
}

LogicalResult StageOp::verify() {
  if (getDevice() < 0)
    return emitOpError("expects a non-negative device, got ") << getDevice();
  auto pipeline = cast<PipelineOp>(getOperation()->getParentOp());
  bool split = pipeline.getSplitBackward();
  if (split && (!getDgradAttr() || !getWgradAttr() || getBackwardAttr()))
    return emitOpError("expects 'dgrad' and 'wgrad' times (and no "
                       "'backward') because the pipeline has split_backward");
  if (!split && (!getBackwardAttr() || getDgradAttr() || getWgradAttr()))
    return emitOpError("expects a 'backward' time (and no 'dgrad'/'wgrad') "
                       "because the pipeline does not have split_backward");
  if (failed(checkPositive(*this, "forward", getForwardAttr())) ||
      failed(checkPositive(*this, "backward", getBackwardAttr())) ||
      failed(checkPositive(*this, "dgrad", getDgradAttr())) ||
      failed(checkPositive(*this, "wgrad", getWgradAttr())))
    return failure();
  // A part of the activation ('wgrad_activation', 'checkpoint') fits in it.
  auto atMostActivation = [&](StringRef field,
                              BytesAttr part) -> LogicalResult {
    if (part.getBytes() <= getActivation().getBytes())
      return success();
    return emitOpError("expects '")
           << field << "' (" << byteSizeText(part.getBytes())
           << ") to be at most its 'activation' ("
           << byteSizeText(getActivation().getBytes()) << ")";
  };
  if (BytesAttr held = getWgradActivationAttr()) {
    if (!split)
      return emitOpError("has 'wgrad_activation' but the pipeline does not "
                         "have split_backward (B releases the whole "
                         "activation)");
    if (failed(atMostActivation("wgrad_activation", held)))
      return failure();
  }
  if (BytesAttr kept = getCheckpointAttr()) {
    if (!getRecompute())
      return emitOpError("has a 'checkpoint' but does not 'recompute' (the "
                         "forward keeps the whole activation)");
    if (failed(atMostActivation("checkpoint", kept)))
      return failure();
  }
  return success();
}

/// Device of stage `c` under a placement rule with `p` devices; the rule
/// itself lives with the problem model (Placement.h) so import and
/// verification agree.
static int64_t placedDevice(Placement placement, int64_t c, int64_t p) {
  sched::Placement rule =
      placement == Placement::interleaved ? sched::Placement::Interleaved
      : placement == Placement::wave      ? sched::Placement::Wave
                                          : sched::Placement::Unidirectional;
  return sched::placeChunk(rule, int(c), int(p));
}

static LogicalResult verifyPlacement(PipelineOp pipeline, ClusterOp cluster,
                                     MutableArrayRef<StageOp> stages) {
  int64_t p = cluster.getNumDevices();
  int64_t c = stages.size();
  Placement placement = pipeline.getPlacement();
  auto countError = [&](StringRef need) {
    InFlightDiagnostic diag = pipeline.emitOpError()
                              << stringifyPlacement(placement)
                              << " placement needs " << need << ", got " << c
                              << " stages on " << p << " devices";
    diag.attachNote(cluster.getLoc()) << "cluster defined here";
    return diag;
  };
  if (placement == Placement::unidirectional && c != p)
    return countError("one stage per device");
  if (placement == Placement::interleaved && c % p != 0)
    return countError("a multiple of the device count of stages");
  if (placement == Placement::wave && c % (2 * p) != 0)
    return countError("a multiple of twice the device count of stages");
  if (placement == Placement::custom)
    return success();
  for (StageOp stage : stages) {
    int64_t expected = placedDevice(placement, stage.getIndex(), p);
    if (stage.getDevice() != expected)
      return stage.emitOpError("is on device ")
             << stage.getDevice() << ", but the "
             << stringifyPlacement(placement) << " placement puts stage "
             << stage.getIndex() << " on device " << expected;
  }
  return success();
}

static LogicalResult verifyLinks(ClusterOp cluster,
                                 MutableArrayRef<StageOp> stages) {
  for (size_t i = 1; i < stages.size(); ++i) {
    int64_t src = stages[i - 1].getDevice(), dst = stages[i].getDevice();
    if (src == dst)
      continue;
    StringRef a = cluster.getDatacenterOfDevice(src).getSymName();
    StringRef b = cluster.getDatacenterOfDevice(dst).getSymName();
    for (int back = 0; back < 2; ++back) {
      StringRef from = back ? b : a, to = back ? a : b;
      if (cluster.getLink(from, to) ||
          cluster.getDeviceLink(back ? dst : src, back ? src : dst))
        continue;
      InFlightDiagnostic diag =
          stages[i].emitOpError("exchanges messages with stage ")
          << i - 1 << " from device " << dst << " to device " << src
          << ", but cluster @" << cluster.getSymName() << " has no link @"
          << from << " -> @" << to;
      if (from == to)
        diag << " (the network inside datacenter @" << from << ")";
      diag.attachNote(cluster.getLoc()) << "cluster defined here";
      return diag;
    }
  }
  return success();
}

/// With a device_memory budget, device d's limit and what it keeps besides
/// activations add up to the memory its datacenter declares.
static LogicalResult verifyDeviceMemory(PipelineOp pipeline, ClusterOp cluster,
                                        int64_t d, uint64_t limit) {
  ArrayAttr weights = pipeline.getMemoryWeightsAttr();
  if (!weights)
    return success();
  DatacenterOp dc = cluster.getDatacenterOfDevice(d);
  BytesAttr memory = dc.getDeviceMemoryAttr();
  if (!memory) {
    InFlightDiagnostic diag =
        pipeline.emitOpError("derives the memory limit of device ")
        << d << " from device memory, but datacenter @" << dc.getSymName()
        << " declares none";
    diag.attachNote(dc.getLoc()) << "datacenter defined here";
    return diag;
  }
  uint64_t total = limit;
  for (ArrayAttr list : {weights, pipeline.getMemoryGradientsAttr(),
                         pipeline.getMemoryOptimizerAttr()})
    total = llvm::SaturatingAdd(total, cast<BytesAttr>(list[d]).getBytes());
  total =
      llvm::SaturatingAdd(total, pipeline.getMemoryReservedAttr().getBytes());
  if (total == memory.getBytes())
    return success();
  InFlightDiagnostic diag =
      pipeline.emitOpError("memory limit of device ")
      << d << " (" << byteSizeText(limit)
      << ") plus its weights, gradients, optimizer states and reserve come to "
      << byteSizeText(total) << ", not the " << byteSizeText(memory.getBytes())
      << " of datacenter @" << dc.getSymName();
  diag.attachNote(dc.getLoc()) << "datacenter defined here";
  return diag;
}

static LogicalResult verifyMemory(PipelineOp pipeline, ClusterOp cluster,
                                  MutableArrayRef<StageOp> stages) {
  ArrayAttr limits = pipeline.getMemoryLimitsAttr();
  if (!limits)
    return success();
  int64_t p = cluster.getNumDevices();
  if (int64_t(limits.size()) != p) {
    InFlightDiagnostic diag = pipeline.emitOpError("memory lists ")
                              << limits.size() << " limits, but cluster @"
                              << cluster.getSymName() << " has " << p
                              << " devices";
    diag.attachNote(cluster.getLoc()) << "cluster defined here";
    return diag;
  }
  // What one microbatch needs by the schedulers' own rule
  // (sched::oneMicrobatchBytes): the activations, or with recomputation
  // what the stages keep outside their backward and one re-created
  // activation.
  sched::Problem memory;
  memory.splitBackward = pipeline.getSplitBackward();
  for (StageOp stage : stages) {
    sched::Chunk c;
    int64_t device = stage.getDevice();
    c.device = device >= 0 && device < p ? int(device) : -1;
    stage.copyMemoryTo(c);
    memory.chunks.push_back(c);
  }
  for (int64_t d = 0; d < p; ++d) {
    StageOp first;
    for (StageOp stage : stages)
      if (stage.getDevice() == d && !first)
        first = stage;
    uint64_t need = sched::oneMicrobatchBytes(memory, int(d));
    uint64_t limit = cast<BytesAttr>(limits[d]).getBytes();
    if (failed(verifyDeviceMemory(pipeline, cluster, d, limit)))
      return failure();
    if (need > limit) {
      InFlightDiagnostic diag =
          pipeline.emitOpError("memory limit of device ")
          << d << " (" << byteSizeText(limit)
          << ") cannot hold one microbatch, whose activations on it need "
          << byteSizeText(need);
      diag.attachNote(first.getLoc()) << "first stage on device " << d;
      return diag;
    }
  }
  return success();
}

LogicalResult PipelineOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto cluster =
      symbolTable.lookupNearestSymbolFrom<ClusterOp>(*this, getClusterAttr());
  if (!cluster)
    return emitOpError("'@")
           << getCluster() << "' does not reference a crosspipe.cluster";
  int64_t p = cluster.getNumDevices();
  SmallVector<StageOp, 8> stages = getStages();
  for (StageOp stage : stages) {
    if (stage.getDevice() < p)
      continue;
    InFlightDiagnostic diag = stage.emitOpError("is placed on device ")
                              << stage.getDevice() << ", but cluster @"
                              << cluster.getSymName() << " has " << p
                              << " devices";
    diag.attachNote(cluster.getLoc()) << "cluster defined here";
    return diag;
  }
  if (failed(verifyPlacement(*this, cluster, stages)) ||
      failed(verifyLinks(cluster, stages)) ||
      failed(verifyMemory(*this, cluster, stages)))
    return failure();
  if (getDpDegree() > 1 && getDpSpan() == DpSpan::cross_dc) {
    bool crossLink =
        llvm::any_of(cluster.getBody().getOps<LinkOp>(),
                     [](LinkOp l) { return l.getFrom() != l.getTo(); });
    if (!crossLink) {
      InFlightDiagnostic diag =
          emitOpError("data parallelism spans datacenters, but cluster @")
          << cluster.getSymName() << " has no link between datacenters";
      diag.attachNote(cluster.getLoc()) << "cluster defined here";
      return diag;
    }
  }
  return success();
}
