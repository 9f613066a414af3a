//===- TablesFromIR.cpp - The runtime's tables of a plan or a schedule ----===//
//
// The two ways to a plan's tables. From a crosspipe.plan: prove it again
// (verifyPlan), read it and its schedule's problem into plan data. From a
// schedule (the data path of --crosspipe-compile): simulate, plan
// (plan::buildPlan) and prove (plan::checkPlan, the proof behind
// --crosspipe-verify-plan) on plain data, never building plan IR, which for
// a large pipeline is hundreds of MB and several times slower to prove. A
// fault of that proof is a planner bug, never the input's; it is reported
// at the schedule with notes at the blocks of the actions involved.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"
#include "crosspipe/Interop/PlanInterop.h"
#include "crosspipe/Interop/SimulatedSchedule.h"
#include "crosspipe/Plan/PlanCheck.h"
#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace crosspipe;

int crosspipe::arrangementOf(PlanBackend backend) {
  return backend == PlanBackend::Emulate ? CROSSPIPE_ARRANGE_EMULATE
                                         : CROSSPIPE_ARRANGE_NCCL;
}

/// buildTables, with its refusal as an error at `op`.
static LogicalResult build(Operation *op, const sched::Problem &problem,
                           const plan::TablesInput &input, LoweredPlan &out) {
  std::string err = plan::buildTables(problem, out.plan, input, out.tables);
  if (err.empty())
    return success();
  return op->emitOpError("cannot be written as the runtime's tables: ") << err;
}

LogicalResult crosspipe::tablesOfPlanOp(PlanOp op, PlanBackend backend,
                                        LoweredPlan &out) {
  if (failed(verifyPlan(op)))
    return failure();
  auto schedule = SymbolTable::lookupNearestSymbolFrom<ScheduleOp>(
      op->getParentOp(), op.getScheduleAttr());
  FailureOr<LoadedSchedule> loaded = loadScheduleOp(schedule);
  FailureOr<PlanFromIR> read = readPlan(op);
  if (failed(loaded) || failed(read))
    return failure();
  out.plan = std::move(read->plan);
  if (!op.getMakespanAttr())
    if (TimeAttr makespan = schedule.getMakespanAttr())
      out.plan.makespanMs = makespan.getMs();
  plan::TablesInput input;
  input.name = op.getSymName().str();
  input.algorithm = schedule.getAlgorithm().str();
  input.arrangement = arrangementOf(backend);
  if (TimeAttr bound = schedule.getLowerBoundAttr())
    input.lowerBoundMs = bound.getMs();
  return build(op, loaded->problem, input, out);
}

/// Where a note of the proof points: the block of its action (or its own
/// block), else the schedule.
static Location noteLoc(const SimulatedSchedule &s, const plan::Plan &p,
                        const plan::FaultNote &note) {
  plan::Pos pos = note.action >= 0 ? p.actions[note.action].anchor : note.block;
  if (pos.device < 0 || pos.device >= int(s.read.ops.size()) || pos.index < 0 ||
      pos.index >= int(s.read.ops[pos.device].size()))
    return ScheduleOp(s.op).getLoc();
  return ComputeOp(s.read.ops[pos.device][pos.index]).getLoc();
}

static LogicalResult planAndProve(const SimulatedSchedule &simulated,
                                  plan::Plan &result) {
  ScheduleOp s = simulated.op;
  const sched::Problem &problem = simulated.problem;
  const sched::Schedule &schedule = simulated.read.schedule;
  if (std::string err =
          plan::buildPlan(problem, schedule, simulated.result, result);
      !err.empty())
    return s.emitOpError(err);
  std::vector<int> programs;
  for (ProgramOp program : s.getPrograms())
    programs.push_back(int(program.getDevice()));
  plan::Fault fault = plan::checkPlan(result, {problem, schedule, programs});
  if (!fault)
    return success();
  std::string where =
      fault.action >= 0
          ? plan::describeAction(result.actions[fault.action]) + ": "
          : std::string();
  InFlightDiagnostic diag =
      s.emitOpError("plans into an execution plan that does not run: ")
      << where << fault.message;
  for (const plan::FaultNote &note : fault.notes)
    diag.attachNote(noteLoc(simulated, result, note)) << note.text;
  return diag;
}

LogicalResult crosspipe::tablesOfSchedule(ScheduleOp op, PlanBackend backend,
                                          LoweredPlan &out) {
  FailureOr<SimulatedSchedule> simulated = simulateScheduleOp(op);
  if (failed(simulated) || failed(planAndProve(*simulated, out.plan)))
    return failure();
  plan::TablesInput input;
  input.name = (op.getSymName() + "_plan").str();
  input.algorithm = op.getAlgorithm().str();
  input.arrangement = arrangementOf(backend);
  input.lowerBoundMs = simulated->lowerBoundMs;
  return build(op, simulated->problem, input, out);
}
