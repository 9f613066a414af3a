//===- PlanChecker.h - The plan proof's checker, inside lib/Plan -*- C++
//-*-===//
//
// The checker behind plan::checkPlan, shared by the two files that
// implement it: PlanCheck.cpp (shape, programs, transfers, channels) and
// PlanCheckOrder.cpp (happens-before, data, reductions, slots, deadlock).
// Internal to lib/Plan.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_PLAN_PLANCHECKER_H
#define CROSSPIPE_LIB_PLAN_PLANCHECKER_H

#include "crosspipe/Plan/PlanCheck.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <array>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace crosspipe {
namespace plan {
namespace detail {
using sched::BlockGraph;
using sched::Step;
using SKind = sched::BlockKind;

/// (kind, chunk, mb, part) of a block.
using BlockKey = std::tuple<int, int, int, int>;
/// (gradient, boundary, mb) of a message; with src and dst it is unique.
using TransferKey = std::tuple<int, int, int>;
/// (gradient, src, dst): one NCCL communicator.
using ChannelKey = std::tuple<int, int, int>;
/// (device, stream): one FIFO queue.
using QueueKey = std::pair<int, int>;

struct Halves {
  int send = -1, recv = -1;
};

/// A device's streams, numbered as the dialect's PlanStream so the deadlock
/// report lists stuck streams in the order it always has.
enum StreamId { Compute, SendNext, RecvNext, SendPrev, RecvPrev, Dp };

inline const char *streamName(int stream) {
  static const char *const names[] = {"compute",   "send_next", "recv_next",
                                      "send_prev", "recv_prev", "dp"};
  return names[stream];
}

inline int streamOf(const Action &a) {
  if (a.kind == ActionKind::Exec)
    return Compute;
  if (a.kind == ActionKind::Reduce)
    return Dp;
  switch (a.stream) {
  case Stream::SendNext:
    return SendNext;
  case Stream::RecvNext:
    return RecvNext;
  case Stream::SendPrev:
    return SendPrev;
  case Stream::RecvPrev:
    return RecvPrev;
  }
  return SendNext;
}

inline bool isTransfer(const Action &a) {
  return a.kind == ActionKind::Send || a.kind == ActionKind::Recv;
}

inline BlockKey keyOf(const sched::Block &b) {
  return {int(b.kind), b.chunk, b.mb, b.part};
}

inline TransferKey keyOf(const Action &a) {
  return {int(a.gradient), a.boundary, a.mb};
}

/// Two references to one slot; references to no buffer are all equal.
inline bool sameSlot(SlotRef a, SlotRef b) {
  return a.buffer == b.buffer && (a.buffer < 0 || a.slot == b.slot);
}

inline std::string num(int64_t v) { return std::to_string(v); }

/// What completes before an action starts, as a vector clock: for each
/// stream of its device, the position (in that stream's order) of the last
/// action that does, or -1. Exact, because a stream runs its actions in
/// order: whatever precedes an action also precedes it on every stream up
/// to that position.
constexpr int kNumStreams = Dp + 1;
using StreamClock = std::array<int, kNumStreams>;

class Checker {
public:
  Checker(const Plan &plan, const PlanSubject &subject)
      : plan(plan), problem(subject.problem), schedule(subject.schedule),
        programs(subject.programs), graph(subject.problem),
        numChunks(subject.problem.numChunks()),
        numMb(subject.problem.numMicrobatches) {}
  Fault run();

private:
  /// Records the first fault; returns false so checks can `return fail(..)`.
  bool fail(FaultKind kind, int where, std::string message,
            std::vector<FaultNote> notes = {}) {
    fault = {kind, where, std::move(message), std::move(notes)};
    return false;
  }
  FaultNote note(int action, std::string text) const {
    return {action, Pos(), std::move(text)};
  }
  const Action &at(int i) const { return plan.actions[i]; }
  std::string describe(int i) const { return describeAction(at(i)); }

  bool checkShape();
  bool checkActionShape(int i);
  bool collect();
  bool recordTransfer(int i);
  bool checkPrograms();
  bool checkProgramsPresent(const std::vector<int> &devices);
  bool checkProgram(int device);
  bool checkTransfers();
  bool checkTransfer(const TransferKey &key, const Halves &t,
                     const std::map<TransferKey, std::pair<int, int>> &needed);
  bool checkChannels();
  void buildHappensBefore();
  bool happensBefore(int a, int b) const;
  bool requireBefore(int a, int b, const std::string &why);
  int lastPart(SKind kind, int chunk, int mb) const;
  bool checkData();
  bool checkInput(int consumer, Step from, Step to);
  bool checkReductions();
  bool inLayout(const Action &a) const;
  int bucketWriter(int chunk, int mb, int bucket) const;
  bool checkCollectiveOrder(int collective);
  std::pair<int, int> bucketsOf(const sched::Block &block) const;
  bool checkSlots();
  bool checkDeadlock();
  bool eventsDone(int i) const;
  int partnerOf(int i) const;
  bool atHead(int i) const;
  bool reportDeadlock();
  bool checkIssueOrder();

  const Plan &plan;
  const sched::Problem &problem;
  const sched::Schedule &schedule;
  std::vector<int> programs;
  BlockGraph graph;
  int numChunks, numMb;
  Fault fault;

  std::map<BlockKey, int> execs;
  std::map<TransferKey, Halves> transfers;
  /// Per device: its actions in order; per action: its position in its
  /// device's list and in its stream, and what completes before it starts.
  std::vector<std::vector<int>> deviceOps;
  std::vector<int> devicePos;
  std::vector<int> streamPos;
  std::vector<StreamClock> before;

  /// The abstract run: FIFO queues, their heads, and what has completed.
  std::map<QueueKey, std::vector<int>> queues;
  std::map<QueueKey, size_t> head;
  std::vector<QueueKey> queueOf;
  std::vector<bool> done;
};

} // namespace detail
} // namespace plan
} // namespace crosspipe

#endif // CROSSPIPE_LIB_PLAN_PLANCHECKER_H
