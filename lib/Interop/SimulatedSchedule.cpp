//===- SimulatedSchedule.cpp - A schedule op and its timeline -------------===//
//
// The shared first step of everything that reads a schedule: problem, block
// order, simulation, best bound; see the header.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Interop/ScheduleDiagnostics.h"
#include "crosspipe/Schedule/LowerBound.h"

#include <algorithm>

using namespace mlir;
using namespace crosspipe;

FailureOr<LoadedSchedule> crosspipe::loadScheduleOp(ScheduleOp op) {
  PipelineOp pipeline = getSchedulePipeline(op);
  if (!pipeline)
    return op.emitOpError("does not reference a pipeline");
  FailureOr<sched::Problem> problem = buildProblem(pipeline);
  if (failed(problem))
    return failure();
  applyDpCollectives(op, *problem);
  FailureOr<ScheduleFromIR> read = readSchedule(op, *problem);
  if (failed(read))
    return failure();
  return LoadedSchedule{std::move(*problem), std::move(*read)};
}

FailureOr<SimulatedSchedule> crosspipe::simulateScheduleOp(ScheduleOp op) {
  FailureOr<LoadedSchedule> loaded = loadScheduleOp(op);
  if (failed(loaded))
    return failure();
  // A partial layout of collectives would be simulated (and annotated) as
  // the whole one, so it is refused rather than completed.
  SmallVector<CollectiveOp> collectiveOps;
  std::vector<sched::CollectiveNote> notes = readCollectives(op, collectiveOps);
  if (failed(reportScheduleFault(
          op, loaded->read, loaded->problem,
          sched::checkCollectiveSet(loaded->problem, notes), collectiveOps)))
    return failure();
  SimulatedSchedule simulated;
  simulated.op = op;
  simulated.result = sched::simulate(loaded->problem, loaded->read.schedule);
  if (!simulated.result.ok) {
    (void)reportSimulationFailure(op, loaded->read, simulated.result);
    return failure();
  }
  simulated.lowerBoundMs =
      sched::computeLowerBound(loaded->problem,
                               sched::maxPartsOf(loaded->read.schedule))
          .makespanMs;
  if (TimeAttr proven = op.getLowerBoundAttr()) {
    // A bound a solver proved holds for every schedule of the problem, so
    // one above this schedule's makespan is false, not a stronger bound.
    sched::ScheduleClaims claims;
    claims.lowerBoundMs = proven.getMs();
    if (failed(reportScheduleFault(
            op, loaded->read, loaded->problem,
            sched::checkClaims(claims, simulated.result), collectiveOps)))
      return failure();
    simulated.lowerBoundMs = std::max(simulated.lowerBoundMs, proven.getMs());
  }
  simulated.problem = std::move(loaded->problem);
  simulated.read = std::move(loaded->read);
  return simulated;
}

FailureOr<std::vector<SimulatedSchedule>>
crosspipe::simulateSchedules(Operation *root, StringRef only, StringRef what) {
  std::vector<SimulatedSchedule> all;
  WalkResult walk = root->walk([&](ScheduleOp op) {
    if (!only.empty() && op.getSymName() != only)
      return WalkResult::advance();
    FailureOr<SimulatedSchedule> simulated = simulateScheduleOp(op);
    if (failed(simulated))
      return WalkResult::interrupt();
    all.push_back(std::move(*simulated));
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (all.empty()) {
    if (only.empty())
      return emitError(root->getLoc(), "no crosspipe.schedule to ")
             << what << "; run --crosspipe-schedule first";
    return emitError(root->getLoc(), "no crosspipe.schedule named '")
           << only << "'";
  }
  return all;
}

const SimulatedSchedule &
crosspipe::fastest(const std::vector<SimulatedSchedule> &all) {
  const SimulatedSchedule *best = &all.front();
  for (const SimulatedSchedule &s : all)
    if (s.result.makespanMs < best->result.makespanMs)
      best = &s;
  return *best;
}

sched::TraceSummary crosspipe::summarize(const SimulatedSchedule &simulated) {
  ScheduleOp op = simulated.op;
  sched::TraceSummary summary;
  summary.algorithm = op.getAlgorithm().str();
  summary.makespanMs = simulated.result.makespanMs;
  summary.lowerBoundMs = simulated.lowerBoundMs;
  if (auto optimal = op.getOptimalAttr())
    summary.optimal = optimal.getValue();
  if (auto gap = op.getGapAttr())
    summary.gap = gap.getValueAsDouble();
  return summary;
}
