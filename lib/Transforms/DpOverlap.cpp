//===- DpOverlap.cpp - Place DP collectives where they may first start ----===//
//
// A thin adapter over the simulator's model of data-parallel collectives:
// sets the problem's gradient buckets and ZeRO-1 from the pass options,
// simulates each schedule, and writes every collective into its device's
// program right after the compute op that completes its input (all-gathers
// at the start of the program), with the simulated span. Buckets let a
// chunk's gradient start moving while its last W still runs on earlier
// layers, which is the point of the pass.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "crosspipe/Interop/ScheduleDiagnostics.h"
#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Transforms/Passes.h"

#include <map>

namespace crosspipe {
#define GEN_PASS_DEF_DPOVERLAPPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct DpOverlapPass
    : ReportsOptionErrors<crosspipe::impl::DpOverlapPassBase<DpOverlapPass>> {
  using ReportsOptionErrors::ReportsOptionErrors;

  void runOnOperation() override {
    // More buckets than this would only slice gradients into pieces too
    // small to matter, and the collective list grows with their number.
    constexpr int kMaxBuckets = 4096;
    if (buckets < 1 || buckets > kMaxBuckets) {
      emitError(getOperation().getLoc(), "buckets must be at ")
          << (buckets < 1 ? "least 1" : "most " + std::to_string(kMaxBuckets))
          << ", got " << int(buckets);
      return signalPassFailure();
    }
    for (ScheduleOp op : getOperation().getOps<ScheduleOp>())
      if (failed(placeCollectives(op)))
        return signalPassFailure();
  }

  LogicalResult placeCollectives(ScheduleOp op);
  void
  insertCollectives(ScheduleOp op, std::map<int, ProgramOp> &programs,
                    std::map<std::pair<int, int>, ComputeOp> after,
                    const std::vector<sched::CollectiveEvent> &collectives);
};
} // namespace

/// The compute op after which each (chunk, bucket) may start: the part of a
/// releasing block whose completion of the bucket's share comes last.
static std::map<std::pair<int, int>, ComputeOp>
enablingOps(const ScheduleFromIR &read, const sched::SimResult &sim,
            int buckets, bool split) {
  std::map<std::pair<int, int>, std::pair<double, ComputeOp>> best;
  sched::BlockKind release = split ? sched::BlockKind::W : sched::BlockKind::B;
  for (size_t d = 0; d < read.ops.size(); ++d)
    for (size_t i = 0; i < read.ops[d].size(); ++i) {
      const sched::Block &b = read.schedule.order[d][i];
      if (b.kind != release)
        continue;
      for (int bucket = 0; bucket < buckets; ++bucket) {
        double at = sched::bucketDoneMs(b, sim.times[d][i], bucket, buckets);
        if (at < 0)
          continue;
        auto [it, inserted] =
            best.try_emplace({b.chunk, bucket}, at, read.ops[d][i]);
        if (!inserted && at >= it->second.first)
          it->second = {at, read.ops[d][i]};
      }
    }
  std::map<std::pair<int, int>, ComputeOp> result;
  for (auto &[key, value] : best)
    result[key] = value.second;
  return result;
}

/// Inserts each collective where it may first start: all-gathers open their
/// program in chunk order; a gradient collective follows the block that
/// completes its bucket (after the collectives already placed there).
void DpOverlapPass::insertCollectives(
    ScheduleOp op, std::map<int, ProgramOp> &programs,
    std::map<std::pair<int, int>, ComputeOp> after,
    const std::vector<sched::CollectiveEvent> &collectives) {
  MLIRContext *ctx = op.getContext();
  OpBuilder b(ctx);
  std::map<int, Operation *> lastGather;
  std::map<Operation *, Operation *> lastAfter;
  for (const sched::CollectiveEvent &event : collectives) {
    Block &body = programs[event.device].getBody().front();
    bool gather = event.kind == sched::CollectiveKind::AllGather;
    if (gather) {
      // All-gathers open the program, in chunk order.
      Operation *prev = lastGather[event.device];
      if (prev)
        b.setInsertionPointAfter(prev);
      else
        b.setInsertionPointToStart(&body);
    } else {
      Operation *anchor = after[{event.chunk, event.bucket}];
      Operation *&prev = lastAfter[anchor];
      b.setInsertionPointAfter(prev ? prev : anchor);
    }
    IntegerAttr bucket, of;
    if (buckets > 1 && !gather) {
      bucket = b.getI64IntegerAttr(event.bucket);
      of = b.getI64IntegerAttr(buckets);
    }
    CollectiveKindAttr kind;
    if (event.kind != sched::CollectiveKind::AllReduce)
      kind = CollectiveKindAttr::get(ctx, fromSched(event.kind));
    auto created = createOp<CollectiveOp>(
        b, op.getLoc(), int64_t(event.chunk),
        TimeAttr::get(ctx, event.time.startMs),
        TimeAttr::get(ctx, event.time.endMs), kind, bucket, of);
    if (gather)
      lastGather[event.device] = created;
    else
      lastAfter[after[{event.chunk, event.bucket}]] = created;
  }
}

LogicalResult DpOverlapPass::placeCollectives(ScheduleOp op) {
  PipelineOp pipeline = getSchedulePipeline(op);
  if (!pipeline)
    return op.emitOpError("does not reference a pipeline");
  FailureOr<sched::Problem> problem = buildProblem(pipeline);
  if (failed(problem))
    return failure();
  if (problem->dpDegree < 2)
    return success();
  problem->dpBuckets = buckets;
  problem->zero1 = zero1;
  FailureOr<ScheduleFromIR> read = readSchedule(op, *problem);
  if (failed(read))
    return failure();
  sched::SimResult sim = sched::simulate(*problem, read->schedule);
  if (!sim.ok)
    return reportSimulationFailure(op, *read, sim);

  // The timeline of the blocks and transfers, without collectives: those
  // are placed below, with their kinds and buckets.
  std::map<int, ProgramOp> programs;
  for (ProgramOp program : op.getPrograms()) {
    programs[int(program.getDevice())] = program;
    for (CollectiveOp ar :
         llvm::make_early_inc_range(program.getBody().getOps<CollectiveOp>()))
      ar.erase();
  }
  std::vector<sched::CollectiveEvent> collectives = std::move(sim.collectives);
  sim.collectives.clear();
  double bound =
      sched::computeLowerBound(*problem, sched::maxPartsOf(read->schedule))
          .makespanMs;
  bool sameProblem = buckets == 1 && !zero1;
  if (!sameProblem) {
    // A proof about the schedule without buckets or ZeRO-1 says nothing
    // about the problem with them.
    op.removeOptimalAttr();
    op.removeGapAttr();
  } else if (TimeAttr proven = op.getLowerBoundAttr()) {
    bound = std::max(bound, proven.getMs());
  }
  op.removeLowerBoundAttr();
  annotateSchedule(op, *read, *problem, sim, bound);
  for (ProgramOp program : op.getPrograms())
    programs[int(program.getDevice())] = program;

  insertCollectives(op, programs,
                    enablingOps(*read, sim, buckets, problem->splitBackward),
                    collectives);
  return success();
}
