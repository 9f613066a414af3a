//===- PlanInternal.h - Plan check and file internals -----------*- C++ -*-===//
//
// The words a plan file spells enums with, the name rules, the owning form
// of a plan that crosspipe_plan_read returns, and the checker's fault: what
// is wrong and which table entry or action it is at, so that the reader can
// name the file line and crosspipe_plan_check the device and action. Plain
// C++17; private to runtime/.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CORE_PLANINTERNAL_H
#define CROSSPIPE_RUNTIME_CORE_PLANINTERNAL_H

#include "crosspipe/Runtime/Plan.h"
#include "crosspipe/Runtime/PlanStorage.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace rt {

/// "F", "SEND_ACT", ...; nullptr for an op out of range.
const char *opName(int op);
/// The op spelled `name`, or -1.
int opFromName(std::string_view name);
/// "stash", "act", "grad", "param_grad"; nullptr out of range.
const char *roleName(int role);
int roleFromName(std::string_view name);
/// "nccl", "emulate"; nullptr out of range.
const char *arrangementName(int arrangement);
int arrangementFromName(std::string_view name);

/// 1 to CROSSPIPE_PLAN_MAX_NAME bytes of [A-Za-z0-9_.-] (and '>' when
/// `link`): safe unescaped in files, traces and messages.
bool isSafeName(std::string_view name, bool link = false);
/// `name` if non-null, else "(null)"; for messages about unsafe names.
std::string printableName(const char *name);

inline bool isCompute(int op) {
  return op >= CROSSPIPE_OP_F && op <= CROSSPIPE_OP_W;
}
inline bool isSend(int op) {
  return op == CROSSPIPE_OP_SEND_ACT || op == CROSSPIPE_OP_SEND_GRAD;
}
inline bool isRecv(int op) {
  return op == CROSSPIPE_OP_RECV_ACT || op == CROSSPIPE_OP_RECV_GRAD;
}
inline bool isMessage(int op) { return isSend(op) || isRecv(op); }
inline bool isCollective(int op) {
  return op >= CROSSPIPE_OP_ALLREDUCE && op <= CROSSPIPE_OP_ALL_GATHER;
}
/// CROSSPIPE_ACT or CROSSPIPE_GRAD for a send or receive.
inline int messageRole(int op) {
  return op == CROSSPIPE_OP_SEND_ACT || op == CROSSPIPE_OP_RECV_ACT
             ? CROSSPIPE_ACT
             : CROSSPIPE_GRAD;
}

/// An action as people read it: "F chunk 1 mb 3", "F chunk 1 mb 3 part 1 of
/// 2", "SEND_ACT boundary 0 mb 2", "ALLREDUCE chunk 2 bucket 0 of 4",
/// "WAIT for action 5". Safe on any values.
std::string describeAction(const crosspipe_action &action);

/// Where a plan is wrong. `index` is the table entry (chunk, link, buffer,
/// channel) or the device (program, action); `action` the action index.
struct PlanFault {
  enum Kind { Plan, Chunk, Link, Buffer, Channel, Program, Action };
  Kind kind = Plan;
  int64_t index = 0;
  int64_t action = -1;
  std::string subject; ///< The action as describeAction() reads it.
  std::string message;
};

/// How much crosspipe_plan_check proves. Structure is what executing a plan
/// needs to stay memory safe (every index, buffer, slot and channel in
/// range, waits backwards, limits); Full adds consistency (channels matched
/// in order, every block and message exactly once, block order, collective
/// sets). An executor may run a plan checked for Structure only to show
/// that its own run-time checks (tags, channel headers, watchdog) catch a
/// broken plan.
enum class CheckLevel { Structure, Full };

/// Sets `fault` to `message` at table entry or device `index` (and action
/// `action` of that device's program, whose description it records when
/// `plan` has it) and returns false, for `return setFault(...)`.
bool setFault(const crosspipe_plan &plan, PlanFault::Kind kind, int64_t index,
              const std::string &message, int64_t action, PlanFault &fault);

/// Returns true, or false with `fault` set to the first problem found.
bool checkPlan(const crosspipe_plan *plan, CheckLevel level, PlanFault &fault);
/// The CheckLevel::Full half of checkPlan, for a plan whose structure
/// passed; `totalActions` is the sum of its programs' counts.
bool checkConsistency(const crosspipe_plan &plan, int64_t totalActions,
                      PlanFault &fault);
/// Whether a plan that passed checkPlan(Full) issues its NCCL operations
/// in orders one global order agrees with (Runtime/IssueOrder.h), as the
/// NCCL backend needs with one process per device; executors that emulate
/// channels (host threads, one process) do not. False with `fault` at the
/// first action of a cycle otherwise.
bool checkNcclIssueOrder(const crosspipe_plan &plan, PlanFault &fault);
/// One line: "device 1 action 7 (F chunk 1 mb 0): ...", "buffer 3: ...".
std::string formatFault(const PlanFault &fault);
/// Copies `text` into a C error buffer (truncating, always terminated).
void copyError(const std::string &text, char *error, size_t size);

/// What crosspipe_plan_read returns: the tables and the storage behind
/// their pointers. crosspipe_plan_free deletes it through the base.
struct OwnedPlan : crosspipe_plan, PlanStorage {
  OwnedPlan();
  /// Points the base's pointers at the storage; call after filling it.
  void link() { PlanStorage::link(*this); }
};

/// crosspipe_plan_parse and crosspipe_plan_read with the check at `level`
/// (Structure lets a runner meet a broken plan at run time).
OwnedPlan *parsePlanText(std::string_view data, const char *source,
                         CheckLevel level, std::string &error);
OwnedPlan *readPlanFile(const char *path, CheckLevel level, std::string &error);

/// A deep copy of any plan that passed checkPlan(Structure).
OwnedPlan *copyPlan(const crosspipe_plan &plan);

/// FNV-1a, 64 bits: the plan file's checksum.
uint64_t fnv1a(std::string_view bytes, uint64_t hash = 0xcbf29ce484222325ull);

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CORE_PLANINTERNAL_H
