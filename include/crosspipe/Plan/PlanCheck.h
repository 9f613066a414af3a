//===- PlanCheck.h - The proof that an execution plan runs ------*- C++ -*-===//
//
// The whole-plan checks of --crosspipe-verify-plan over plain data: every
// device in use has a program and each compute stream runs exactly it; every
// cross-device dependency is one send and one receive, matched in order on its
// channel, with the receive issued first; consumers wait for what they read and
// no slot is overwritten before its last reader is done (happens-before over
// stream order and events, per device); the data-parallel reductions follow
// the blocks that write their gradients; and an abstract run in which every
// send blocks until its receive heads its stream finishes (no deadlock);
// and the devices issue their NCCL operations (sends, receives and
// collectives) in orders one global order agrees with, as NCCL needs.
// The first fault comes back as data (where, what, and notes) so the pass
// can turn it into a diagnostic and tests can check it directly. Free of
// MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_PLAN_PLANCHECK_H
#define CROSSPIPE_PLAN_PLANCHECK_H

#include "crosspipe/Plan/ExecutionPlan.h"

#include <string>
#include <vector>

namespace crosspipe {
namespace plan {

/// What is wrong with a plan, one kind per diagnostic the pass emits.
enum class FaultKind {
  None,
  /// The data itself is malformed (devices, buffers or waits out of range);
  /// the op verifiers reject such IR before the proof runs.
  Malformed,
  UnknownBlock,      ///< An exec names a block the pipeline does not have.
  DuplicateExec,     ///< A block runs twice.
  DuplicateTransfer, ///< A second send (or receive) of one message.
  ProgramDevice,     ///< The schedule has a program for a missing device.
  MissingProgram,    ///< The schedule has no program for a used device.
  MissingExec,       ///< A block of a program never runs.
  WrongExec,         ///< An exec runs another block than its program.
  ExtraExec,         ///< An exec is not in its device's program.
  WrongDevice,       ///< An exec runs off its chunk's device.
  LocalTransfer,     ///< A transfer between chunks of one device (or none).
  WrongEnds,         ///< A transfer between other devices than its chunks'.
  NoRecv,            ///< A send without a receive.
  NoSend,            ///< A receive without a send.
  RecvAfterSend,     ///< A receive issued after its send.
  MissingTransfer,   ///< A cross-device dependency without a transfer.
  ChannelOrder,      ///< Receives out of the order of their channel's sends.
  NoInput,           ///< A consumer that reads no input.
  WrongSlot,         ///< A consumer or send reads another slot.
  NotOrdered,        ///< An action may start before one it depends on.
  ReduceDevice,      ///< A reduction off its chunk's device.
  DuplicateReduce,   ///< A chunk's collective (of one bucket) twice.
  UnexpectedReduce,  ///< A collective without data parallelism, or one
                     ///< outside the problem's bucket and ZeRO-1 layout.
  MissingReduce,     ///< A collective of that layout never runs.
  Deadlock,          ///< The abstract run gets stuck.
  IssueOrder,        ///< NCCL operations issued in orders no single order
                     ///< agrees with (Runtime/IssueOrder.h).
};

/// A note of a fault: at an action, or else at a block of the schedule.
struct FaultNote {
  int action = -1;
  /// The block (device, index in its program) when `action` is -1.
  Pos block;
  std::string text;
};

/// The first fault found. `message` is the text of the pass's error; it
/// points at `action` (an index into Plan::actions), or at the plan itself
/// when that is -1.
struct Fault {
  FaultKind kind = FaultKind::None;
  int action = -1;
  std::string message;
  std::vector<FaultNote> notes;
  explicit operator bool() const { return kind != FaultKind::None; }
};

/// What a plan claims to run: the problem and the schedule's block order.
struct PlanSubject {
  const sched::Problem &problem;
  const sched::Schedule &schedule;
  /// The devices that have a program, in the order the schedule lists them
  /// (IR may list them in any order, or leave a device out); empty means
  /// every device of `schedule.order`, in order.
  std::vector<int> programs;
};

/// Checks a plan against its schedule; a default Fault when it runs.
Fault checkPlan(const Plan &plan, const PlanSubject &subject);

/// "F chunk 0 mb 1" (with " part 0/2" for sub-blocks), "send act chunk 0 mb
/// 1 to device 1", "recv grad chunk 0 mb 1 from device 1", "dp_allreduce
/// chunk 0" (with " bucket 1/4" for buckets), "dp_reduce_scatter chunk 0"
/// or "dp_all_gather chunk 0": how diagnostics name an action.
std::string describeAction(const Action &action);

} // namespace plan
} // namespace crosspipe

#endif // CROSSPIPE_PLAN_PLANCHECK_H
