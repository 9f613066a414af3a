//===- Greedy.h - Delay-aware greedy list scheduler -------------*- C++ -*-===//
//
// The greedy scheduler of the paper ("CrossUDSub"), made stronger: an
// event-driven list scheduler that always serves the device with the earliest
// schedulable time, picks the ready block of highest priority there, keeps
// every device inside its memory budget without ever deadlocking, models the
// link queues exactly as the simulator does, and cuts blocks into sub-blocks
// so a device can switch work between pieces. It runs a portfolio of priority
// rules, improves their schedules by promoting blocks that waited on the
// critical path, moves blocks of the best one a few positions on their
// device while that helps (small problems), and keeps the schedule the
// simulator times best. Static baselines that apply and fit the budget are
// evaluated as further candidates, so the result is never worse than them.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_GREEDY_H
#define CROSSPIPE_SCHEDULE_GREEDY_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

struct GreedyOptions {
  /// Every block is cut into this many equal sub-blocks (>= 1). The greedy
  /// also tries whole blocks (1 part) and keeps whichever simulates better,
  /// unless `exactSubBlocks` is set.
  int subBlocks = 1;
  /// Use exactly `subBlocks` parts per block, never fewer.
  bool exactSubBlocks = false;
  /// With whole blocks (subBlocks == 1, not exact), also run the winning
  /// rule with every block cut into 2 parts and keep that if it simulates
  /// better: it pays where latency dominates (4% on 64 devices x 512
  /// microbatches at (T_lat, T_bw) = (2, 0.25) T_F). Skipped where such a
  /// run would exceed 200,000 blocks.
  bool autoSubBlocks = true;
  /// Names of the priority rules to try (see greedyRuleNames()); empty means
  /// all of them.
  std::vector<std::string> rules;
  /// At most this many extra runs that promote, one at a time, blocks their
  /// device held up on the critical path of the rules' schedules (0 = no
  /// improvement loop). Large problems get fewer, so that the total work
  /// stays bounded.
  int improveIterations = 200;
  /// The pilot method from the best starts (small problems only): each
  /// step keeps the block whose completion by the rule is best ("+pilotP"
  /// below).
  bool pilot = true;
  /// Move single blocks of the best schedule a few positions on their
  /// device while that helps (small problems only, "+lsN" below). With
  /// neither search, the result is a rule's own schedule, or a promoted
  /// one. Neither runs once the best schedule meets the lower bound.
  bool localSearch = true;
  /// Also evaluate the static baselines that apply to the problem and fit its
  /// memory budget, and return one of them if it simulates better.
  bool includeBaselines = true;
};

struct GreedyResult {
  bool ok = false;
  std::string error;
  Schedule schedule;
  /// The makespan simulate() gives for `schedule`.
  double makespanMs = 0;
  /// The winning priority rule, with "/sN" when N > 1 sub-blocks per block
  /// won (asked for, or tried by autoSubBlocks), "+cpK" when K
  /// critical-path promotions improved it, "+pilotP" when the pilot method
  /// chose P blocks against the rule, and "+lsN" when the local search kept
  /// N block moves, or "baseline:<name>" when a static baseline was better.
  std::string rule;
  /// simulate()'s makespan of the best schedule the greedy produced itself,
  /// whether or not a baseline beat it.
  double greedyMakespanMs = 0;
  /// The greedy's own timing of that schedule. It models the simulator
  /// exactly, so this equals greedyMakespanMs, except that with zero-duration
  /// blocks two messages sent at the same instant can be queued in the other
  /// order; the rules are then ranked by simulate() instead.
  double predictedMakespanMs = 0;
};

/// The names of the built-in priority rules, in the order they are tried.
std::vector<std::string> greedyRuleNames();

/// Schedules `problem` greedily. Never throws; an unusable problem
/// (sched::validate) or a memory budget that cannot hold one microbatch
/// (sched::validateMemoryBudget) yields ok == false and an error.
GreedyResult scheduleGreedy(const Problem &problem,
                            const GreedyOptions &options = GreedyOptions());

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_GREEDY_H
