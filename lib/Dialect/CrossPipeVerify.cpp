//===- CrossPipeVerify.cpp - Verifiers and helpers of the ops -------------===//
//
// What the IR must satisfy before any pass reads it: attribute ranges, the
// cluster and schedule ops (the pipeline and its stages are in
// CrossPipeVerifyPipeline.cpp). Messages are lowercase and precise; where a
// problem involves two ops (a stage and the cluster it does not fit, a
// duplicate link) the error is on the offending op and a note points at the
// other.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Dialect/Quantities.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace crosspipe;

//===----------------------------------------------------------------------===//
// Ranges of attribute values
//===----------------------------------------------------------------------===//

/// Checks one attribute value (recursing into arrays); `name` names it.
static LogicalResult checkValueRange(Operation *op, StringRef name,
                                     Attribute value) {
  auto finite = [&](double x, StringRef unit) -> LogicalResult {
    if (std::isfinite(x))
      return success();
    return op->emitOpError("expects a finite '")
           << name << "', got " << formatNumber(x) << unit;
  };
  if (auto array = llvm::dyn_cast<ArrayAttr>(value)) {
    for (Attribute element : array)
      if (failed(checkValueRange(op, name, element)))
        return failure();
    return success();
  }
  // CrossPipe_IntAttr is i64; enums are i32 and booleans i1.
  if (auto integer = llvm::dyn_cast<IntegerAttr>(value)) {
    if (!integer.getType().isSignlessInteger(64) ||
        integer.getInt() <= kMaxCount)
      return success();
    return op->emitOpError("expects '")
           << name << "' to be at most " << kMaxCount << ", got "
           << integer.getInt();
  }
  if (auto bytes = llvm::dyn_cast<BytesAttr>(value)) {
    if (bytes.getBytes() <= kMaxBytes)
      return success();
    return op->emitOpError("expects '")
           << name << "' to be at most " << kMaxBytes << " B, got "
           << bytes.getBytes() << " B";
  }
  if (auto time = llvm::dyn_cast<TimeAttr>(value))
    return finite(time.getMs(), " ms");
  if (auto bandwidth = llvm::dyn_cast<BandwidthAttr>(value))
    return finite(bandwidth.getGbps(), " Gbps");
  if (auto real = llvm::dyn_cast<FloatAttr>(value))
    return finite(real.getValueAsDouble(), "");
  return success();
}

LogicalResult crosspipe::verifyAttributeRanges(Operation *op) {
  // Inherent attributes only: a user's discardable attribute is not ours.
  std::optional<RegisteredOperationName> info = op->getRegisteredInfo();
  if (!info)
    return success();
  for (StringAttr name : info->getAttributeNames())
    if (std::optional<Attribute> value = op->getInherentAttr(name))
      if (*value && failed(checkValueRange(op, name.getValue(), *value)))
        return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Cluster
//===----------------------------------------------------------------------===//

int64_t ClusterOp::getNumDevices() {
  int64_t total = 0;
  for (auto dc : getBody().getOps<DatacenterOp>())
    total += dc.getDevices();
  return total;
}

DatacenterOp ClusterOp::getDatacenterOfDevice(int64_t device) {
  for (auto dc : getBody().getOps<DatacenterOp>()) {
    if (device >= 0 && device < dc.getDevices())
      return dc;
    device -= dc.getDevices();
  }
  return {};
}

DeviceLinkOp ClusterOp::getDeviceLink(int64_t from, int64_t to) {
  for (auto link : getBody().getOps<DeviceLinkOp>())
    if (link.getFrom() == from && link.getTo() == to)
      return link;
  return {};
}

LinkOp ClusterOp::getLink(StringRef from, StringRef to) {
  for (auto link : getBody().getOps<LinkOp>())
    if (link.getFrom() == from && link.getTo() == to)
      return link;
  return {};
}

static LogicalResult verifyDeviceLinks(ClusterOp cluster);

LogicalResult ClusterOp::verifyRegions() {
  bool hasDatacenter = false;
  std::map<std::pair<std::string, std::string>, LinkOp> seen;
  for (Operation &op : getBody().front()) {
    if (isa<DatacenterOp>(op)) {
      hasDatacenter = true;
      continue;
    }
    if (isa<DeviceLinkOp>(op))
      continue;
    auto link = dyn_cast<LinkOp>(op);
    if (!link)
      return op.emitOpError("is not allowed in a crosspipe.cluster, which "
                            "holds only crosspipe.datacenter, "
                            "crosspipe.link and crosspipe.device_link ops");
    for (StringRef end : {link.getFrom(), link.getTo()})
      if (!lookupSymbol<DatacenterOp>(end))
        return link.emitOpError("endpoint @")
               << end << " is not a datacenter of cluster @" << getSymName();
    auto key = std::make_pair(link.getFrom().str(), link.getTo().str());
    auto [it, inserted] = seen.insert({key, link});
    if (!inserted) {
      InFlightDiagnostic diag = link.emitOpError("duplicates the link @")
                                << link.getFrom() << " -> @" << link.getTo();
      diag.attachNote(it->second.getLoc()) << "previous link here";
      return diag;
    }
  }
  if (!hasDatacenter)
    return emitOpError("expects at least one crosspipe.datacenter");
  // Each datacenter holds at most kMaxCount devices, so the sum cannot
  // overflow; global device indices must still fit an `int`.
  if (int64_t total = getNumDevices(); total > kMaxCount)
    return emitOpError("has ") << total << " devices in all; at most "
                               << kMaxCount << " are supported";
  return verifyDeviceLinks(*this);
}

LogicalResult DatacenterOp::verify() {
  if (getDevices() < 1)
    return emitOpError("expects at least one device, got ") << getDevices();
  if (auto memory = getDeviceMemoryAttr(); memory && memory.getBytes() == 0)
    return emitOpError("expects a positive device memory");
  return success();
}

LogicalResult LinkOp::verify() {
  double latency = getLatency().getMs();
  if (!std::isfinite(latency) || latency < 0)
    return emitOpError("expects a non-negative latency, got ")
           << formatNumber(latency) << " ms";
  double bandwidth = getBandwidth().getGbps();
  if (!std::isfinite(bandwidth) || bandwidth <= 0)
    return emitOpError("expects a positive bandwidth, got ")
           << formatNumber(bandwidth) << " Gbps";
  return success();
}

LogicalResult DeviceLinkOp::verify() {
  if (getFrom() < 0 || getTo() < 0)
    return emitOpError("expects device indices, got ")
           << getFrom() << " -> " << getTo();
  if (getFrom() == getTo())
    return emitOpError("joins device ") << getFrom() << " to itself";
  double latency = getLatency().getMs();
  if (!std::isfinite(latency) || latency < 0)
    return emitOpError("expects a non-negative latency, got ")
           << formatNumber(latency) << " ms";
  double bandwidth = getBandwidth().getGbps();
  if (!std::isfinite(bandwidth) || bandwidth <= 0)
    return emitOpError("expects a positive bandwidth, got ")
           << formatNumber(bandwidth) << " Gbps";
  return success();
}

/// A device link joins devices of the cluster, once per direction, and asks
/// for a separate path only between datacenters.
static LogicalResult verifyDeviceLinks(ClusterOp cluster) {
  int64_t p = cluster.getNumDevices();
  std::map<std::pair<int64_t, int64_t>, DeviceLinkOp> seen;
  for (DeviceLinkOp link : cluster.getBody().getOps<DeviceLinkOp>()) {
    for (int64_t end : {link.getFrom(), link.getTo()})
      if (end >= p)
        return link.emitOpError("names device ")
               << end << ", but cluster @" << cluster.getSymName() << " has "
               << p << " devices";
    auto [it, inserted] = seen.insert({{link.getFrom(), link.getTo()}, link});
    if (!inserted) {
      InFlightDiagnostic diag = link.emitOpError("duplicates the link ")
                                << link.getFrom() << " -> " << link.getTo();
      diag.attachNote(it->second.getLoc()) << "previous link here";
      return diag;
    }
    DatacenterOp a = cluster.getDatacenterOfDevice(link.getFrom());
    DatacenterOp b = cluster.getDatacenterOfDevice(link.getTo());
    if (link.getSeparatePath() && a == b)
      return link.emitOpError("has separate_path, but both devices are in "
                              "datacenter @")
             << a.getSymName() << ", where every device pair has its own link";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Schedule
//===----------------------------------------------------------------------===//

SmallVector<ProgramOp, 8> ScheduleOp::getPrograms() {
  return llvm::to_vector<8>(getBody().getOps<ProgramOp>());
}

LogicalResult ScheduleOp::verifyRegions() {
  llvm::DenseMap<int64_t, ProgramOp> seen;
  for (Operation &op : getBody().front()) {
    if (isa<TransferOp>(op))
      continue;
    auto program = dyn_cast<ProgramOp>(op);
    if (!program)
      return op.emitOpError("is not allowed in a crosspipe.schedule, which "
                            "holds only crosspipe.program and "
                            "crosspipe.transfer ops");
    auto [it, inserted] = seen.insert({program.getDevice(), program});
    if (!inserted) {
      InFlightDiagnostic diag = program.emitOpError("duplicates the program "
                                                    "of device ")
                                << program.getDevice();
      diag.attachNote(it->second.getLoc()) << "previous program here";
      return diag;
    }
  }
  if (auto gap = getGapAttr(); gap && !(gap.getValueAsDouble() >= 0))
    return emitOpError("expects a non-negative gap");
  return success();
}

static LogicalResult verifySpan(Operation *op, TimeAttr start, TimeAttr end) {
  if (start && end && start.getMs() > end.getMs())
    return op->emitOpError("ends (")
           << formatNumber(end.getMs()) << " ms) before it starts ("
           << formatNumber(start.getMs()) << " ms)";
  return success();
}

LogicalResult ProgramOp::verify() {
  if (getDevice() < 0)
    return emitOpError("expects a non-negative device, got ") << getDevice();
  for (Operation &op : getBody().front())
    if (!isa<ComputeOp, CollectiveOp>(op))
      return op.emitOpError("is not allowed in a crosspipe.program, which "
                            "holds only crosspipe.compute and "
                            "crosspipe.collective ops");
  if (auto bubble = getBubbleAttr()) {
    double b = bubble.getValueAsDouble();
    if (!(b >= 0 && b <= 1))
      return emitOpError("expects a bubble ratio in [0, 1], got ")
             << formatNumber(b);
  }
  return success();
}

LogicalResult ComputeOp::verify() {
  if (getChunk() < 0 || getMb() < 0)
    return emitOpError("expects a non-negative chunk and microbatch");
  if (getPartAttr()) {
    int64_t part = *getPart(), parts = getParts().value_or(0);
    if (parts < 1 || part < 0 || part >= parts)
      return emitOpError("expects 0 <= part < parts, got part ")
             << part << " of " << parts;
  }
  return verifySpan(*this, getStartAttr(), getEndAttr());
}

LogicalResult CollectiveOp::verify() {
  if (getChunk() < 0)
    return emitOpError("expects a non-negative chunk");
  if (getBucketAttr()) {
    int64_t bucket = *getBucket(), buckets = getBuckets().value_or(0);
    if (buckets < 1 || bucket < 0 || bucket >= buckets)
      return emitOpError("expects 0 <= bucket < buckets, got bucket ")
             << bucket << " of " << buckets;
    if (getKindOrDefault() == CollectiveKind::all_gather)
      return emitOpError("is an all-gather of the parameters, which is never "
                         "split into gradient buckets");
  }
  return verifySpan(*this, getStartAttr(), getEndAttr());
}

LogicalResult TransferOp::verify() {
  if (getChunk() < 0 || getMb() < 0)
    return emitOpError("expects a non-negative chunk and microbatch");
  if (getSrc() < 0 || getDst() < 0)
    return emitOpError("expects non-negative devices, got ")
           << getSrc() << " and " << getDst();
  if (getSrc() == getDst())
    return emitOpError("sends from device ")
           << getSrc() << " to itself; same-device dependencies need no "
           << "transfer";
  if (failed(verifySpan(*this, getStartAttr(), getEndAttr())))
    return failure();
  if (getArrivalAttr() && getEndAttr() &&
      getArrivalAttr().getMs() < getEndAttr().getMs())
    return emitOpError("arrives before its bandwidth window ends");
  return success();
}

/// Checks that a block of `chunk` belongs in the program of `device`.
static LogicalResult verifyChunkRef(Operation *op, PipelineOp pipeline,
                                    MutableArrayRef<StageOp> stages,
                                    int64_t chunk, int64_t device) {
  if (chunk >= int64_t(stages.size())) {
    InFlightDiagnostic diag = op->emitOpError("refers to chunk ")
                              << chunk << ", but pipeline @"
                              << pipeline.getSymName() << " has "
                              << stages.size() << " stages";
    diag.attachNote(pipeline.getLoc()) << "pipeline defined here";
    return diag;
  }
  if (device >= 0 && stages[chunk].getDevice() != device) {
    InFlightDiagnostic diag = op->emitOpError("is in the program of device ")
                              << device << ", but stage " << chunk
                              << " runs on device "
                              << stages[chunk].getDevice();
    diag.attachNote(stages[chunk].getLoc()) << "stage defined here";
    return diag;
  }
  return success();
}

LogicalResult ScheduleOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto pipeline =
      symbolTable.lookupNearestSymbolFrom<PipelineOp>(*this, getPipelineAttr());
  if (!pipeline)
    return emitOpError("'@")
           << getPipeline() << "' does not reference a crosspipe.pipeline";
  SmallVector<StageOp, 8> stages = pipeline.getStages();
  auto cluster = symbolTable.lookupNearestSymbolFrom<ClusterOp>(
      pipeline, pipeline.getClusterAttr());
  int64_t numDevices = cluster ? cluster.getNumDevices() : INT64_MAX;
  bool split = pipeline.getSplitBackward();
  for (ProgramOp program : getPrograms()) {
    int64_t device = program.getDevice();
    if (device >= numDevices) {
      InFlightDiagnostic diag = program.emitOpError("is for device ")
                                << device << ", but cluster @"
                                << cluster.getSymName() << " has " << numDevices
                                << " devices";
      diag.attachNote(cluster.getLoc()) << "cluster defined here";
      return diag;
    }
    for (Operation &op : program.getBody().front()) {
      if (auto compute = dyn_cast<ComputeOp>(op)) {
        if (failed(verifyChunkRef(compute, pipeline, stages, compute.getChunk(),
                                  device)))
          return failure();
        if (compute.getMb() >= pipeline.getMicrobatches())
          return compute.emitOpError("refers to microbatch ")
                 << compute.getMb() << ", but the pipeline has "
                 << pipeline.getMicrobatches() << " microbatches";
        BlockKind kind = compute.getKind();
        bool splitKind = kind == BlockKind::D || kind == BlockKind::W;
        if (kind != BlockKind::F && splitKind != split)
          return compute.emitOpError("is a ")
                 << stringifyBlockKind(kind) << " block, but pipeline @"
                 << pipeline.getSymName()
                 << (split ? " splits the backward pass into D and W"
                           : " has a fused backward pass (B)");
        continue;
      }
      auto allreduce = cast<CollectiveOp>(op);
      if (failed(verifyChunkRef(allreduce, pipeline, stages,
                                allreduce.getChunk(), device)))
        return failure();
      if (pipeline.getDpDegree() < 2)
        return allreduce.emitOpError("needs data parallelism, but pipeline @")
               << pipeline.getSymName() << " has one replica";
    }
  }
  for (TransferOp transfer : getBody().getOps<TransferOp>()) {
    int64_t chunk = transfer.getChunk();
    if (failed(verifyChunkRef(transfer, pipeline, stages, chunk, -1)))
      return failure();
    if (chunk + 1 >= int64_t(stages.size()))
      return transfer.emitOpError("leaves the last stage, which has no "
                                  "successor");
    int64_t a = stages[chunk].getDevice(), b = stages[chunk + 1].getDevice();
    bool act = transfer.getKind() == TransferKind::act;
    int64_t src = act ? a : b, dst = act ? b : a;
    if (transfer.getSrc() != src || transfer.getDst() != dst)
      return transfer.emitOpError("goes from device ")
             << transfer.getSrc() << " to " << transfer.getDst() << ", but the "
             << stringifyTransferKind(transfer.getKind()) << " of chunk "
             << chunk << " goes from device " << src << " to " << dst;
  }
  return success();
}
