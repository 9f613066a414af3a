//===- VerifySchedule.cpp - The --crosspipe-verify-schedule pass ----------===//
//
// Proves a schedule (written by hand or by a pass) runnable: complete, in
// dependency order on each device, deadlock-free across devices, within the
// memory budget, and, where it carries times, consistent with them (its
// transfers and collective spans exactly the simulated ones); its
// data-parallel collectives are a whole layout and follow the gradients
// (or, for all-gathers, precede the forwards) they depend on; its makespan,
// bound and per-program bubble and peak memory are what the model gives. The
// checks are the MLIR-free ones of crosspipe/Schedule/ScheduleCheck.h; this
// pass reads the schedule op and reports the first fault at the offending op
// with a note at the related one (lib/Interop/ScheduleFaults.cpp words them).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/ScheduleDiagnostics.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Schedule/ScheduleCheck.h"
#include "crosspipe/Transforms/Passes.h"

namespace crosspipe {
#define GEN_PASS_DEF_VERIFYSCHEDULEPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
struct VerifySchedulePass
    : crosspipe::impl::VerifySchedulePassBase<VerifySchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    for (ScheduleOp op : getOperation().getOps<ScheduleOp>())
      if (failed(verifyOne(op)))
        return signalPassFailure();
  }

  /// The checks in order: structure first (complete, device order,
  /// collectives and their layout), then what needs the simulated timeline
    /// (deadlock freedom, memory), then the annotated times, the derived
  /// annotations (transfers, collective spans) and what the schedule claims
  /// about its run (makespan, bound, bubbles, peaks).
  LogicalResult verifyOne(ScheduleOp op) {
    FailureOr<LoadedSchedule> loaded = loadScheduleOp(op);
    if (failed(loaded))
      return failure();
    const sched::Problem &problem = loaded->problem;
    const ScheduleFromIR &read = loaded->read;
    const sched::Schedule &schedule = read.schedule;
    SmallVector<CollectiveOp> collectiveOps;
    std::vector<sched::CollectiveNote> collectives =
        readCollectives(op, collectiveOps);
    SmallVector<TransferOp> transferOps;
    std::vector<sched::TransferNote> transfers =
        readTransfers(op, transferOps);
    std::vector<std::vector<sched::Annotated>> annotated =
        readAnnotations(read);
    auto report = [&](const sched::ScheduleFault &fault) {
      return reportScheduleFault(op, read, problem, fault, collectiveOps,
                                 transferOps);
    };

    sched::BlockIndex index;
    if (failed(report(sched::checkComplete(problem, schedule, index))) ||
        failed(report(sched::checkDeviceOrder(problem, schedule, index))) ||
        failed(report(sched::checkCollectives(problem, schedule, index,
                                              annotated, collectives))) ||
        failed(report(sched::checkCollectiveSet(problem, collectives))))
      return failure();
    sched::SimResult result = sched::simulate(problem, schedule);
    if (!result.ok)
      return reportSimulationFailure(op, read, result);
    if (failed(report(sched::checkMemory(problem, schedule, result))))
      return failure();
    if (failed(report(sched::checkAnnotatedTimes(problem, schedule, index,
                                                  annotated))) ||
        failed(report(sched::checkTransfers(result, transfers))) ||
        failed(report(sched::checkCollectiveTimes(result, collectives))))
      return failure();
    return report(sched::checkClaims(readClaims(op), result));
  }
};
} // namespace
