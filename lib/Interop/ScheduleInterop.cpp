//===- ScheduleInterop.cpp - Between the dialect and the scheduler --------===//
//
// Conversions between crosspipe ops and the MLIR-free problem and schedule
// model. Reading assumes verified IR (the verifiers already rejected
// malformed pipelines); writing produces ops that verify.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "crosspipe/Interop/ScheduleInterop.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

#include <map>
#include <tuple>

using namespace mlir;
using namespace crosspipe;

sched::Placement crosspipe::toSched(Placement p) {
  switch (p) {
  case Placement::unidirectional:
    return sched::Placement::Unidirectional;
  case Placement::interleaved:
    return sched::Placement::Interleaved;
  case Placement::wave:
    return sched::Placement::Wave;
  case Placement::custom:
    return sched::Placement::Custom;
  }
  return sched::Placement::Custom;
}

Placement crosspipe::fromSched(sched::Placement p) {
  switch (p) {
  case sched::Placement::Unidirectional:
    return Placement::unidirectional;
  case sched::Placement::Interleaved:
    return Placement::interleaved;
  case sched::Placement::Wave:
    return Placement::wave;
  case sched::Placement::Custom:
    return Placement::custom;
  }
  return Placement::custom;
}

sched::BlockKind crosspipe::toSched(BlockKind k) {
  switch (k) {
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

BlockKind crosspipe::fromSched(sched::BlockKind k) {
  switch (k) {
  case sched::BlockKind::F:
    return BlockKind::F;
  case sched::BlockKind::B:
    return BlockKind::B;
  case sched::BlockKind::D:
    return BlockKind::D;
  case sched::BlockKind::W:
    return BlockKind::W;
  }
  return BlockKind::F;
}

FailureOr<sched::Problem> crosspipe::buildProblem(PipelineOp pipeline) {
  auto cluster = SymbolTable::lookupNearestSymbolFrom<ClusterOp>(
      pipeline, pipeline.getClusterAttr());
  if (!cluster)
    return pipeline.emitOpError("'@")
           << pipeline.getCluster() << "' does not reference a cluster";
  sched::Problem problem;
  problem.name = pipeline.getSymName().str();
  problem.numMicrobatches = int(pipeline.getMicrobatches());
  llvm::StringMap<int> dcIndex;
  for (DatacenterOp dc : cluster.getBody().getOps<DatacenterOp>()) {
    sched::Datacenter d;
    d.name = dc.getSymName().str();
    d.numDevices = int(dc.getDevices());
    if (auto memory = dc.getDeviceMemoryAttr())
      d.deviceMemoryBytes = memory.getBytes();
    dcIndex[d.name] = int(problem.datacenters.size());
    problem.datacenters.push_back(d);
  }
  for (LinkOp link : cluster.getBody().getOps<LinkOp>()) {
    sched::DcLink l;
    l.fromDc = dcIndex.lookup(link.getFrom());
    l.toDc = dcIndex.lookup(link.getTo());
    l.cost.latencyMs = link.getLatency().getMs();
    l.cost.bandwidthGbps = link.getBandwidth().getGbps();
    problem.links.push_back(l);
  }
  for (DeviceLinkOp link : cluster.getBody().getOps<DeviceLinkOp>()) {
    sched::DeviceLink l;
    l.fromDevice = int(link.getFrom());
    l.toDevice = int(link.getTo());
    l.cost.latencyMs = link.getLatency().getMs();
    l.cost.bandwidthGbps = link.getBandwidth().getGbps();
    l.separatePath = link.getSeparatePath();
    problem.deviceLinks.push_back(l);
  }
  problem.placement = toSched(pipeline.getPlacement());
  problem.splitBackward = pipeline.getSplitBackward();
  for (StageOp stage : pipeline.getStages()) {
    sched::Chunk c;
    c.device = int(stage.getDevice());
    c.forwardMs = stage.getForward().getMs();
    if (auto b = stage.getBackwardAttr())
      c.backwardMs = b.getMs();
    if (auto d = stage.getDgradAttr())
      c.dgradMs = d.getMs();
    if (auto w = stage.getWgradAttr())
      c.wgradMs = w.getMs();
    stage.copyMemoryTo(c);
    c.gradientBytes = stage.getGradient().getBytes();
    problem.chunks.push_back(c);
  }
  if (ArrayAttr limits = pipeline.getMemoryLimitsAttr())
    for (Attribute limit : limits)
      problem.memoryLimitBytes.push_back(cast<BytesAttr>(limit).getBytes());
  if (auto relative = pipeline.getMemoryRelativeAttr())
    problem.memoryRelativeTo1F1B = relative.getValueAsDouble();
  if (auto relative = pipeline.getMemoryRelativePeakAttr())
    problem.memoryRelativeTo1F1BPeak = relative.getValueAsDouble();
  if (ArrayAttr weights = pipeline.getMemoryWeightsAttr()) {
    ArrayAttr gradients = pipeline.getMemoryGradientsAttr();
    ArrayAttr optimizer = pipeline.getMemoryOptimizerAttr();
    uint64_t reserved = pipeline.getMemoryReservedAttr().getBytes();
    for (size_t d = 0; d < weights.size(); ++d) {
      sched::StaticMemory fixed;
      fixed.weightBytes = cast<BytesAttr>(weights[d]).getBytes();
      fixed.gradientBytes = cast<BytesAttr>(gradients[d]).getBytes();
      fixed.optimizerBytes = cast<BytesAttr>(optimizer[d]).getBytes();
      fixed.reservedBytes = reserved;
      problem.staticMemory.push_back(fixed);
    }
  }
  problem.dpDegree = int(pipeline.getDpDegree());
  problem.dpSpan = pipeline.getDpSpan() == DpSpan::cross_dc
                       ? sched::DpSpan::CrossDc
                       : sched::DpSpan::IntraDc;
  return problem;
}

void crosspipe::applyDpCollectives(ScheduleOp op, sched::Problem &problem) {
  for (ProgramOp program : op.getPrograms())
    for (CollectiveOp ar : program.getBody().getOps<CollectiveOp>()) {
      if (ar.getKindOrDefault() != CollectiveKind::all_reduce)
        problem.zero1 = true;
      if (std::optional<int64_t> buckets = ar.getBuckets())
        problem.dpBuckets = std::max(problem.dpBuckets, int(*buckets));
    }
}

sched::CollectiveKind crosspipe::toSched(CollectiveKind k) {
  switch (k) {
  case CollectiveKind::all_reduce:
    return sched::CollectiveKind::AllReduce;
  case CollectiveKind::reduce_scatter:
    return sched::CollectiveKind::ReduceScatter;
  case CollectiveKind::all_gather:
    return sched::CollectiveKind::AllGather;
  }
  return sched::CollectiveKind::AllReduce;
}

CollectiveKind crosspipe::fromSched(sched::CollectiveKind kind) {
  switch (kind) {
  case sched::CollectiveKind::AllReduce:
    return CollectiveKind::all_reduce;
  case sched::CollectiveKind::ReduceScatter:
    return CollectiveKind::reduce_scatter;
  case sched::CollectiveKind::AllGather:
    return CollectiveKind::all_gather;
  }
  return CollectiveKind::all_reduce;
}

PipelineOp crosspipe::getSchedulePipeline(ScheduleOp op) {
  return SymbolTable::lookupNearestSymbolFrom<PipelineOp>(op,
                                                          op.getPipelineAttr());
}

FailureOr<ScheduleFromIR>
crosspipe::readSchedule(ScheduleOp op, const sched::Problem &problem) {
  ScheduleFromIR read;
  int numDevices = problem.numDevices();
  read.schedule.algorithm = op.getAlgorithm().str();
  read.schedule.order.resize(numDevices);
  read.ops.resize(numDevices);
  for (ProgramOp program : op.getPrograms()) {
    int device = int(program.getDevice());
    if (device >= numDevices)
      return program.emitOpError("is for a device the cluster does not have");
    for (ComputeOp compute : program.getBody().getOps<ComputeOp>()) {
      sched::Block block;
      block.kind = toSched(compute.getKind());
      block.chunk = int(compute.getChunk());
      block.mb = int(compute.getMb());
      block.part = int(compute.getPart().value_or(0));
      block.parts = int(compute.getParts().value_or(1));
      read.schedule.order[device].push_back(block);
      read.ops[device].push_back(compute);
    }
  }
  return read;
}

static Location locFor(MLIRContext *ctx, StringRef file,
                       const sched::SourceLoc &loc) {
  if (loc.line <= 0 || file.empty())
    return UnknownLoc::get(ctx);
  return FileLineColLoc::get(ctx, file, loc.line, loc.column);
}

PipelineOp crosspipe::emitProblem(ModuleOp module,
                                  const sched::Problem &problem,
                                  StringRef file) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location fileLoc = file.empty()
                         ? UnknownLoc::get(ctx)
                         : Location(FileLineColLoc::get(ctx, file, 1, 1));
  // Symbols stay bare identifiers (@m70_2dc, not @"m70-2dc") so schedule
  // names derived from them read well.
  std::string name = problem.name.empty() ? "pipeline" : problem.name;
  for (char &ch : name)
    if (!llvm::isAlnum(ch) && ch != '_' && ch != '.' && ch != '$')
      ch = '_';
  if (llvm::isDigit(name.front()))
    name = "_" + name;
  auto cluster = createOp<ClusterOp>(b, fileLoc, name + "_net");
  cluster.getBody().emplaceBlock();
  {
    OpBuilder cb = OpBuilder::atBlockEnd(&cluster.getBody().front());
    for (const sched::Datacenter &dc : problem.datacenters) {
      BytesAttr memory = dc.deviceMemoryBytes
                             ? BytesAttr::get(ctx, dc.deviceMemoryBytes)
                             : BytesAttr();
      createOp<DatacenterOp>(cb, locFor(ctx, file, dc.loc), dc.name,
                              int64_t(dc.numDevices), memory);
    }
    for (const sched::DcLink &link : problem.links)
      createOp<LinkOp>(cb,
          locFor(ctx, file, link.loc),
          FlatSymbolRefAttr::get(ctx, problem.datacenters[link.fromDc].name),
          FlatSymbolRefAttr::get(ctx, problem.datacenters[link.toDc].name),
          TimeAttr::get(ctx, link.cost.latencyMs),
          BandwidthAttr::get(ctx, link.cost.bandwidthGbps));
    for (const sched::DeviceLink &link : problem.deviceLinks)
      createOp<DeviceLinkOp>(cb,
          locFor(ctx, file, link.loc), int64_t(link.fromDevice),
          int64_t(link.toDevice), TimeAttr::get(ctx, link.cost.latencyMs),
          BandwidthAttr::get(ctx, link.cost.bandwidthGbps), link.separatePath);
  }
  auto pipeline = createOp<PipelineOp>(b,
      fileLoc, b.getStringAttr(name),
      FlatSymbolRefAttr::get(ctx, cluster.getSymName()),
      b.getI64IntegerAttr(problem.numMicrobatches),
      PlacementAttr::get(ctx, fromSched(problem.placement)),
      problem.splitBackward ? b.getUnitAttr() : UnitAttr(), ArrayAttr(),
      FloatAttr(), FloatAttr(), ArrayAttr(), ArrayAttr(), ArrayAttr(),
      BytesAttr(), b.getI64IntegerAttr(problem.dpDegree),
      DpSpanAttr::get(ctx, problem.dpSpan == sched::DpSpan::CrossDc
                               ? DpSpan::cross_dc
                               : DpSpan::intra_dc));
  writeMemoryBudget(pipeline, problem);
  pipeline.getBody().emplaceBlock();
  OpBuilder pb = OpBuilder::atBlockEnd(&pipeline.getBody().front());
  for (const sched::Chunk &c : problem.chunks) {
    auto time = [&](double ms, bool present) {
      return present ? TimeAttr::get(ctx, ms) : TimeAttr();
    };
    createOp<StageOp>(pb, locFor(ctx, file, c.loc), int64_t(c.device),
                       TimeAttr::get(ctx, c.forwardMs),
                       time(c.backwardMs, !problem.splitBackward),
                       time(c.dgradMs, problem.splitBackward),
                       time(c.wgradMs, problem.splitBackward),
                       BytesAttr::get(ctx, c.activationBytes),
                       problem.splitBackward && c.wgradActivationBytes
                           ? BytesAttr::get(ctx, *c.wgradActivationBytes)
                           : BytesAttr(),
                       c.recompute,
                       c.recompute && c.checkpointBytes
                           ? BytesAttr::get(ctx, *c.checkpointBytes)
                           : BytesAttr(),
                       BytesAttr::get(ctx, c.messageBytes),
                       BytesAttr::get(ctx, c.gradientBytes));
  }
  return pipeline;
}

ScheduleOp crosspipe::emitSchedule(PipelineOp pipeline,
                                   const sched::Schedule &schedule,
                                   StringRef name) {
  MLIRContext *ctx = pipeline.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(pipeline);
  auto op = createOp<ScheduleOp>(b,
      pipeline.getLoc(), b.getStringAttr(name),
      FlatSymbolRefAttr::get(ctx, pipeline.getSymName()),
      b.getStringAttr(schedule.algorithm), TimeAttr(), TimeAttr(), BoolAttr(),
      FloatAttr(), TimeAttr(), BoolAttr());
  op.getBody().emplaceBlock();
  OpBuilder sb = OpBuilder::atBlockEnd(&op.getBody().front());
  for (size_t d = 0; d < schedule.order.size(); ++d) {
    auto program = createOp<ProgramOp>(sb, pipeline.getLoc(), int64_t(d),
                                        FloatAttr(), BytesAttr());
    program.getBody().emplaceBlock();
    OpBuilder kb = OpBuilder::atBlockEnd(&program.getBody().front());
    for (const sched::Block &block : schedule.order[d]) {
      IntegerAttr part, parts;
      if (block.parts > 1) {
        part = kb.getI64IntegerAttr(block.part);
        parts = kb.getI64IntegerAttr(block.parts);
      }
      createOp<ComputeOp>(kb, pipeline.getLoc(), fromSched(block.kind),
                           int64_t(block.chunk), int64_t(block.mb), part, parts,
                           TimeAttr(), TimeAttr());
    }
  }
  return op;
}

void crosspipe::annotateSchedule(ScheduleOp op, const ScheduleFromIR &read,
                                 const sched::Problem &problem,
                                 const sched::SimResult &result,
                                 double lowerBoundMs) {
  MLIRContext *ctx = op.getContext();
  OpBuilder b(ctx);
  op.setMakespanAttr(TimeAttr::get(ctx, result.makespanMs));
  op.setLowerBoundAttr(TimeAttr::get(ctx, lowerBoundMs));
  for (size_t d = 0; d < read.ops.size(); ++d)
    for (size_t i = 0; i < read.ops[d].size(); ++i) {
      ComputeOp compute = read.ops[d][i];
      compute.setStartAttr(TimeAttr::get(ctx, result.times[d][i].startMs));
      compute.setEndAttr(TimeAttr::get(ctx, result.times[d][i].endMs));
    }

  // Programs: bubble and peak memory; create missing ones so every device
  // with collectives has a place for them.
  std::map<int, ProgramOp> programs;
  for (ProgramOp program : op.getPrograms())
    programs[int(program.getDevice())] = program;
  for (int d = 0, e = problem.numDevices(); d < e; ++d) {
    ProgramOp &program = programs[d];
    if (!program) {
      b.setInsertionPointToEnd(&op.getBody().front());
      program = createOp<ProgramOp>(b, op.getLoc(), int64_t(d), FloatAttr(),
                                    BytesAttr());
      program.getBody().emplaceBlock();
    }
    if (d < int(result.bubbleRatio.size()))
      program.setBubbleAttr(b.getF64FloatAttr(result.bubbleRatio[d]));
    if (d < int(result.peakMemoryBytes.size()))
      program.setPeakMemoryAttr(BytesAttr::get(ctx, result.peakMemoryBytes[d]));
  }

  // Collectives: update the ones a pass placed, append the others. They are
  // indexed once: a scan per event made this quadratic in the bucket count.
  using CollectiveKey = std::tuple<int, int64_t, int, int64_t>;
  std::map<CollectiveKey, CollectiveOp> placed;
  for (auto &[device, program] : programs)
    for (CollectiveOp ar : program.getBody().getOps<CollectiveOp>())
      placed[{device, ar.getChunk(), int(toSched(ar.getKindOrDefault())),
              ar.getBucket().value_or(0)}] = ar;
  for (const sched::CollectiveEvent &event : result.collectives) {
    ProgramOp program = programs[event.device];
    CollectiveOp existing = placed[{event.device, int64_t(event.chunk),
                                    int(event.kind), int64_t(event.bucket)}];
    if (!existing) {
      b.setInsertionPointToEnd(&program.getBody().front());
      existing = createOp<CollectiveOp>(b, op.getLoc(), int64_t(event.chunk),
                                        TimeAttr(), TimeAttr());
    }
    existing.setStartAttr(TimeAttr::get(ctx, event.time.startMs));
    existing.setEndAttr(TimeAttr::get(ctx, event.time.endMs));
  }

  // Transfers: replaced wholesale, in link-occupancy order.
  for (TransferOp t :
       llvm::make_early_inc_range(op.getBody().getOps<TransferOp>()))
    t.erase();
  std::vector<const sched::TransferEvent *> transfers;
  for (const sched::TransferEvent &t : result.transfers)
    transfers.push_back(&t);
  std::stable_sort(
      transfers.begin(), transfers.end(),
      [](const sched::TransferEvent *a, const sched::TransferEvent *b) {
        return a->occupancy.startMs < b->occupancy.startMs;
      });
  b.setInsertionPointToEnd(&op.getBody().front());
  for (const sched::TransferEvent *t : transfers)
    createOp<TransferOp>(b,
        op.getLoc(), t->gradient ? TransferKind::grad : TransferKind::act,
        int64_t(t->boundary()), int64_t(t->mb), int64_t(t->srcDevice),
        int64_t(t->dstDevice), TimeAttr::get(ctx, t->occupancy.startMs),
        TimeAttr::get(ctx, t->occupancy.endMs),
        TimeAttr::get(ctx, t->arrivalMs));
}

void crosspipe::writeMemoryBudget(PipelineOp pipeline,
                                  const sched::Problem &problem) {
  MLIRContext *ctx = pipeline.getContext();
  auto bytesList = [&](auto bytesOf, size_t n) {
    SmallVector<Attribute> values;
    for (size_t i = 0; i < n; ++i)
      values.push_back(BytesAttr::get(ctx, bytesOf(i)));
    return ArrayAttr::get(ctx, values);
  };
  auto f64 = [&](std::optional<double> value) {
    return value ? FloatAttr::get(Float64Type::get(ctx), *value) : FloatAttr();
  };
  const std::vector<uint64_t> &limits = problem.memoryLimitBytes;
  pipeline.setMemoryLimitsAttr(
      limits.empty()
          ? ArrayAttr()
          : bytesList([&](size_t d) { return limits[d]; }, limits.size()));
  pipeline.setMemoryRelativeAttr(f64(problem.memoryRelativeTo1F1B));
  pipeline.setMemoryRelativePeakAttr(f64(problem.memoryRelativeTo1F1BPeak));
  const std::vector<sched::StaticMemory> &fixed = problem.staticMemory;
  bool breakdown = !fixed.empty() && !limits.empty();
  size_t n = breakdown ? fixed.size() : 0;
  pipeline.setMemoryWeightsAttr(
      breakdown ? bytesList([&](size_t d) { return fixed[d].weightBytes; }, n)
                : ArrayAttr());
  pipeline.setMemoryGradientsAttr(
      breakdown ? bytesList([&](size_t d) { return fixed[d].gradientBytes; }, n)
                : ArrayAttr());
  pipeline.setMemoryOptimizerAttr(
      breakdown
          ? bytesList([&](size_t d) { return fixed[d].optimizerBytes; }, n)
          : ArrayAttr());
  pipeline.setMemoryReservedAttr(
      breakdown ? BytesAttr::get(ctx, fixed.front().reservedBytes)
                : BytesAttr());
}
