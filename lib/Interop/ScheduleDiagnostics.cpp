//===- ScheduleDiagnostics.cpp - Reporting schedule failures --------------===//
//
// Maps the simulator's reports back to ops so users see where a schedule
// goes wrong, not just that it does.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/ScheduleDiagnostics.h"

using namespace mlir;
using namespace crosspipe;

ComputeOp crosspipe::findBlockOp(const ScheduleFromIR &read, int device,
                                 const sched::Block &block) {
  if (device < 0 || device >= int(read.ops.size()))
    return {};
  const std::vector<sched::Block> &order = read.schedule.order[device];
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] == block)
      return read.ops[device][i];
  return {};
}

std::string crosspipe::describeBlock(const sched::Block &block) {
  std::string text = std::string(sched::blockKindName(block.kind)) + " chunk " +
                     std::to_string(block.chunk) + " mb " +
                     std::to_string(block.mb);
  if (block.parts > 1)
    text += " part " + std::to_string(block.part) + " of " +
            std::to_string(block.parts);
  return text;
}

LogicalResult
crosspipe::reportSimulationFailure(ScheduleOp op, const ScheduleFromIR &read,
                                   const sched::SimResult &result) {
  if (result.stalls.empty())
    return op.emitOpError("cannot be simulated: ") << result.error;
  // Report at the first stalled block we can locate; the rest become notes.
  const sched::Stall &first = result.stalls.front();
  ComputeOp at = findBlockOp(read, first.device, first.blocked);
  InFlightDiagnostic diag =
      at ? at.emitOpError("deadlocks: ") : op.emitOpError("deadlocks: ");
  diag << describeBlock(first.blocked) << " on device " << first.device
       << " waits for " << describeBlock(first.waitsFor) << " on device "
       << first.waitsForDevice << ", which can never run";
  for (const sched::Stall &stall : result.stalls) {
    ComputeOp waited = findBlockOp(read, stall.waitsForDevice, stall.waitsFor);
    if (!waited)
      continue;
    diag.attachNote(waited.getLoc())
        << "device " << stall.device << " waits for this block ("
        << describeBlock(stall.waitsFor) << ") before "
        << describeBlock(stall.blocked);
  }
  return diag;
}
