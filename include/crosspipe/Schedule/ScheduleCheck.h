//===- ScheduleCheck.h - Is a schedule runnable, and where not --*- C++ -*-===//
//
// The MLIR-free checks behind --crosspipe-verify-schedule: every block of
// the problem exactly once (every part of it, cut the same way), each
// device's order respecting the block graph, the memory budget held at
// every instant of the simulated timeline, annotated times that the model
// allows, DP collectives that form a whole layout, follow (or, for
// all-gathers, precede) the blocks they depend on and run one at a time per
// device, and claims (makespan, bound, gap, bubbles, peaks) that the
// simulation confirms. Each check returns
// the first fault with the positions it involves, so a caller can point at the
// offending op and the related one.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_SCHEDULECHECK_H
#define CROSSPIPE_SCHEDULE_SCHEDULECHECK_H

#include "crosspipe/Schedule/Simulator.h"

#include <map>
#include <optional>
#include <tuple>
#include <vector>

namespace crosspipe {
namespace sched {

/// A position in a schedule: device and index in its order (-1: none).
struct BlockAt {
  int device = -1;
  int index = -1;
};

/// Where every part of every whole block sits; parts[i] is part i.
class BlockIndex {
public:
  const std::vector<BlockAt> *find(BlockKind kind, int chunk, int mb) const {
    auto it = parts.find({int(kind), chunk, mb});
    return it == parts.end() ? nullptr : &it->second;
  }
  std::vector<BlockAt> &at(BlockKind kind, int chunk, int mb) {
    return parts[{int(kind), chunk, mb}];
  }
  void clear() { parts.clear(); }

private:
  std::map<std::tuple<int, int, int>, std::vector<BlockAt>> parts;
};

/// A message as a schedule carries it (a crosspipe.transfer op), or as the
/// simulation gives it: the boundary it crosses (named by its lower chunk),
/// its route, the window it holds its link's bandwidth and its arrival.
struct TransferNote {
  bool gradient = false;
  int boundary = 0;
  int mb = 0;
  int src = 0, dst = 0;
  bool timed = false;
  double startMs = 0, endMs = 0, arrivalMs = 0;
};

/// The first thing wrong with a schedule; kind None when nothing is.
struct ScheduleFault {
  enum Kind {
    None,
    /// `at` is cut into block.parts parts, `other` (a part of the same
    /// block) into `otherParts`.
    PartCount,
    /// `at` repeats `block`, first seen at `other`.
    Duplicate,
    /// The whole `block` (or its part `block.part`, when `missingPart`) is
    /// in no program; it belongs on `device`.
    Missing,
    /// `at` runs before `block`, which it depends on, at `other` on the
    /// same device.
    RunsBefore,
    /// `at` raises the activation memory of `device` to `bytes`, above its
    /// budget `limit`.
    OverBudget,
    /// `at` starts at `startMs`, before the previous block on its device
    /// (`other`) ends.
    StartsBeforePrevious,
    /// `at` starts at `startMs`, before its input from `block` (at `other`)
    /// can arrive at `readyMs`.
    StartsBeforeInput,
    /// Collective `collective` splits its chunk's gradient into `buckets`
    /// buckets, collective `otherCollective` into `otherParts`.
    BucketMismatch,
    /// Collective `collective` is an all-reduce, `otherCollective` ZeRO-1.
    AllReduceWithZero1,
    /// Collective `collective` is ZeRO-1, `otherCollective` an all-reduce.
    Zero1WithAllReduce,
    /// Collective `collective` repeats `otherCollective`.
    DuplicateCollective,
    /// Collective `collective` comes before (after, for an all-gather)
    /// `block` at `other`, which it depends on (which depends on it).
    CollectiveMisplaced,
    /// All-gather `collective` ends at `endMs`, after `block` at `other`
    /// starts at `startMs`.
    GatherEndsLate,
    /// Collective `collective` starts at `startMs`, before its bucket is
    /// complete in `block` at `other` (`readyMs`).
    ReduceStartsEarly,
    /// Collective `collective` starts at `startMs` while `otherCollective`
    /// still runs on the communication stream of `device`.
    CollectivesOverlap,
    /// The collectives miss the `collectiveKind` of chunk `block.chunk`
    /// (bucket `bucket` of `buckets`), which belongs on `device`.
    MissingCollective,
    /// `at` carries the span [startMs, endMs], which starts before 0 or
    /// ends before it starts.
    NegativeSpan,
    /// `at` carries the span [startMs, endMs], shorter than the `readyMs`
    /// milliseconds the model gives the block.
    SpanTooShort,
    /// The schedule claims `claim` = `startMs` where the simulation gives
    /// (or the other claims imply) `readyMs`.
    ClaimMismatch,
    /// The program of `device` claims `claim` = `startMs` (or `bytes`)
    /// where the simulation gives `readyMs` (or `limit`).
    ProgramClaimMismatch,
    /// Transfer `transfer` is no message of the model (its boundary, or
    /// the devices it names, do not exist for that block graph).
    UnknownTransfer,
    /// Transfer `transfer` repeats `otherTransfer`.
    DuplicateTransfer,
    /// Transfer `transfer` carries the link window [startMs, endMs] and
    /// arrival `readyMs` where the simulation gives `message` (its
    /// startMs, endMs, arrivalMs).
    TransferTime,
    /// The schedule carries transfers but not `message`.
    MissingTransfer,
    /// Collective `collective` carries the span [startMs, endMs] where the
    /// simulation gives [simStartMs, simEndMs].
    CollectiveTime,
  } kind = None;
  /// What a claim fault is about.
  enum Claim { Makespan, LowerBound, Gap, Optimal, Bubble, PeakMemory };
  BlockAt at, other;
  Block block;
  bool missingPart = false;
  int device = -1;
  int otherParts = 0;
  uint64_t bytes = 0, limit = 0;
  int collective = -1, otherCollective = -1;
  int transfer = -1, otherTransfer = -1;
  TransferNote message;
  double simStartMs = 0, simEndMs = 0;
  int buckets = 0, bucket = 0;
  CollectiveKind collectiveKind = CollectiveKind::AllReduce;
  Claim claim = Makespan;
  double startMs = 0, endMs = 0, readyMs = 0;
  explicit operator bool() const { return kind != None; }
};

/// Indexes every part of every block and checks that each block of the
/// problem appears exactly once, all its parts cut the same way.
ScheduleFault checkComplete(const Problem &problem, const Schedule &schedule,
                            BlockIndex &index);

/// Checks that no block runs before a block it depends on (its previous
/// part, or the last part of each input) on the same device.
ScheduleFault checkDeviceOrder(const Problem &problem, const Schedule &schedule,
                               const BlockIndex &index);

/// Checks the activation memory of every device against its budget at
/// every instant of a successful simulation (frees before allocations at
/// the same instant).
ScheduleFault checkMemory(const Problem &problem, const Schedule &schedule,
                          const SimResult &sim);

/// The times a block carries in the IR, if any.
struct Annotated {
  bool timed = false;
  double startMs = 0, endMs = 0;
};

/// Checks annotated times (annotated[d][i] for schedule.order[d][i])
/// against what the model allows at the least: a span starts at 0 or later
/// and lasts at least the block's modelled duration; a block starts after
/// the previous timed block on its device ends and after each input's
/// producer ends (plus the link latency when remote).
ScheduleFault
checkAnnotatedTimes(const Problem &problem, const Schedule &schedule,
                    const BlockIndex &index,
                    const std::vector<std::vector<Annotated>> &annotated);

/// A DP collective as a schedule carries it, in program order.
struct CollectiveNote {
  /// Its program, in the order the schedule lists them, and that program's
  /// device.
  int program = 0;
  int device = 0;
  /// The compute blocks before it in its program.
  int computeBefore = 0;
  CollectiveKind kind = CollectiveKind::AllReduce;
  int chunk = 0;
  int bucket = 0;
  int buckets = 1;
  Annotated time;
};

/// Ties the collectives together (one bucket count, all-reduce or ZeRO-1,
/// no duplicates), checks each against the blocks it depends on (an
/// all-gather precedes every F of its chunk; a gradient collective follows,
/// for every microbatch, the part of the releasing block that completes its
/// bucket's share, and starts no earlier than that share is done), and
/// checks that the timed collectives of one program run one at a time.
/// `annotated` gives the blocks' times as for checkAnnotatedTimes.
ScheduleFault
checkCollectives(const Problem &problem, const Schedule &schedule,
                 const BlockIndex &index,
                 const std::vector<std::vector<Annotated>> &annotated,
                 const std::vector<CollectiveNote> &collectives);

/// Checks that the collectives, when a schedule has any, are a whole
/// layout: every chunk has every bucket 0..n-1 of the gradient collective
/// the schedule uses (all-reduce, or reduce-scatter under ZeRO-1) and, under
/// ZeRO-1, an all-gather. Run after checkCollectives, which ties the bucket
/// counts and kinds together.
ScheduleFault checkCollectiveSet(const Problem &problem,
                                 const std::vector<CollectiveNote> &notes);

/// Transfers are derived annotations: a schedule need not carry any, but
/// when it carries some they must be exactly the simulation's messages,
/// each once and, where timed, with the simulated link window and arrival
/// (the op verifier checks each transfer's route).
ScheduleFault checkTransfers(const SimResult &sim,
                             const std::vector<TransferNote> &notes);

/// Timed collectives carry the spans the simulation gives them (their
/// duration is the model's, their start follows from the schedule).
ScheduleFault checkCollectiveTimes(const SimResult &sim,
                                   const std::vector<CollectiveNote> &notes);

/// What a schedule op and its programs claim about the whole run (each
/// claim only where the IR carries it).
struct ScheduleClaims {
  std::optional<double> makespanMs, lowerBoundMs, gap;
  std::optional<bool> optimal;
  struct Program {
    int device = 0;
    std::optional<double> bubble;
    std::optional<uint64_t> peakMemoryBytes;
  };
  /// In the order the schedule lists its programs.
  std::vector<Program> programs;
};

/// Checks the claims against a successful simulation: the makespan, each
/// program's bubble and peak memory equal the simulated ones; the lower
/// bound lies in [0, makespan]; the gap is (makespan - bound) / makespan;
/// an optimal schedule has a gap of 0 and a bound equal to its makespan.
/// The bound may exceed the analytic one (a solver may prove more).
ScheduleFault checkClaims(const ScheduleClaims &claims, const SimResult &sim);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_SCHEDULECHECK_H
