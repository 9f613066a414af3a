//===- CrossPipeVerify.cpp - Verifiers and helpers of the ops -------------===//
//
// What the IR must satisfy before any pass reads it. Messages are lowercase
// and precise; where a problem involves two ops (a stage and the cluster it
// does not fit, a duplicate link) the error is on the offending op and a
// note points at the other.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Dialect/Quantities.h"
#include "crosspipe/Schedule/Placement.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace crosspipe;

static std::string bytesText(uint64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printByteSize(os, bytes);
  return text;
}

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
  if (BytesAttr held = getWgradActivationAttr()) {
    if (!split)
      return emitOpError("has 'wgrad_activation' but the pipeline does not "
                         "have split_backward (B releases the whole "
                         "activation)");
    if (held.getBytes() > getActivation().getBytes())
      return emitOpError("expects 'wgrad_activation' (")
             << bytesText(held.getBytes())
             << ") to be at most its 'activation' ("
             << bytesText(getActivation().getBytes()) << ")";
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
      << d << " (" << bytesText(limit)
      << ") plus its weights, gradients, optimizer states and reserve come to "
      << bytesText(total) << ", not the " << bytesText(memory.getBytes())
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
  for (int64_t d = 0; d < p; ++d) {
    uint64_t need = 0;
    StageOp first;
    for (StageOp stage : stages) {
      if (stage.getDevice() != d)
        continue;
      // Saturating: sizes reach 2^63 - 1, and the sum must not wrap below
      // the limit.
      need = llvm::SaturatingAdd(need, stage.getActivation().getBytes());
      if (!first)
        first = stage;
    }
    uint64_t limit = cast<BytesAttr>(limits[d]).getBytes();
    if (failed(verifyDeviceMemory(pipeline, cluster, d, limit)))
      return failure();
    if (need > limit) {
      InFlightDiagnostic diag =
          pipeline.emitOpError("memory limit of device ")
          << d << " (" << bytesText(limit)
          << ") cannot hold one microbatch, whose activations on it need "
          << bytesText(need);
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
