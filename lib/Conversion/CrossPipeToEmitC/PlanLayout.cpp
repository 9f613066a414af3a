//===- PlanLayout.cpp - The runtime's numbering of a plan -----------------===//
//
// Buffers, events, channels, links and timed records are plain indices in
// the generated code, so the runtime can keep them in arrays. Events are
// numbered device by device so that under NCCL each process creates only
// its own range. Costs (link latency and bandwidth per message, stage
// times) come from the schedule's pipeline through the MLIR-free problem.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace crosspipe;

FailureOr<PlanLayout> PlanLayout::build(PlanOp plan, PlanBackend backend) {
  if (failed(verifyPlan(plan)))
    return failure();
  auto schedule = SymbolTable::lookupNearestSymbolFrom<ScheduleOp>(
      plan->getParentOp(), plan.getScheduleAttr());
  PipelineOp pipeline = getSchedulePipeline(schedule);
  FailureOr<sched::Problem> problem = buildProblem(pipeline);
  if (failed(problem))
    return failure();

  PlanLayout layout;
  layout.backend = backend;
  layout.problem = std::move(*problem);
  layout.algorithm = schedule.getAlgorithm().str();
  if (auto makespan = plan.getMakespanAttr())
    layout.makespanMs = makespan.getMs();
  else if (auto makespan = schedule.getMakespanAttr())
    layout.makespanMs = makespan.getMs();
  if (auto bound = schedule.getLowerBoundAttr())
    layout.lowerBoundMs = bound.getMs();
  layout.numDevices = int(plan.getDevices());

  std::vector<SmallVector<Operation *>> byDevice(layout.numDevices);
  for (Operation &op : plan.getBody().front()) {
    if (auto buffer = dyn_cast<BufferOp>(op)) {
      layout.bufferId[buffer.getSymName()] = int(layout.buffers.size());
      layout.buffers.push_back(buffer);
      continue;
    }
    byDevice[PlanOp::getOpDevice(&op)].push_back(&op);
    OpIds &ids = layout.ids[&op];
    if (auto exec = dyn_cast<ExecOp>(op)) {
      ids.record = int(layout.blocks.size());
      layout.blocks.push_back(exec);
    } else if (auto send = dyn_cast<SendOp>(op)) {
      ids.record = int(layout.transfers.size());
      layout.transfers.push_back(send);
      auto key = std::make_tuple(int(send.getKind()), int(send.getSrc()),
                                 int(send.getDst()));
      layout.channels.insert({key, int(layout.channels.size())});
      sched::LinkId link = layout.problem.linkBetween(int(send.getSrc()),
                                                      int(send.getDst()));
      if (layout.links.insert({link, int(layout.links.size())}).second)
        layout.linkNames.push_back(layout.problem.linkName(link));
    } else if (auto ar = dyn_cast<DpAllReduceOp>(op)) {
      ids.record = int(layout.reduces.size());
      layout.reduces.push_back(ar);
    }
  }
  // Events, device by device: start and end of blocks, sends and
  // all-reduces; the arrival of a receive.
  int next = 0;
  for (int d = 0; d < layout.numDevices; ++d) {
    int first = next;
    for (Operation *op : byDevice[d]) {
      OpIds &ids = layout.ids[op];
      if (!isa<RecvOp>(op))
        ids.startEvent = next++;
      ids.endEvent = next++;
    }
    layout.deviceEvents.push_back({first, next - first});
  }
  std::map<std::tuple<int, int64_t, int64_t>, RecvOp> recvs;
  for (RecvOp recv : plan.getBody().getOps<RecvOp>())
    recvs[{int(recv.getKind()), recv.getChunk(), recv.getMb()}] = recv;
  for (SendOp send : layout.transfers)
    layout.recvOf[send] =
        recvs.at({int(send.getKind()), send.getChunk(), send.getMb()});
  return layout;
}

int PlanLayout::channelOf(TransferKind kind, int64_t src, int64_t dst) const {
  return channels.at({int(kind), int(src), int(dst)});
}

int PlanLayout::linkOf(int64_t src, int64_t dst) const {
  return links.at(problem.linkBetween(int(src), int(dst)));
}

double PlanLayout::bandwidthMs(int64_t src, int64_t dst, int boundary) const {
  const sched::LinkCost *cost = problem.linkCost(int(src), int(dst));
  return cost ? cost->bandwidthMs(problem.chunks[boundary].messageBytes) : 0;
}

double PlanLayout::latencyMs(int64_t src, int64_t dst) const {
  const sched::LinkCost *cost = problem.linkCost(int(src), int(dst));
  return cost ? cost->latencyMs : 0;
}
