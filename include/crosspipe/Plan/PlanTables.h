//===- PlanTables.h - An execution plan as the runtime's tables -*- C++ -*-===//
//
// Converts plan data (ExecutionPlan.h) into the tables of the runtime's ABI
// (include/crosspipe/Runtime/Plan.h): one program per device, a chunk,
// buffer, channel and link table. The plan's single issue order becomes one
// program per device (each device's actions in that order), and each wait
// of an action becomes a WAIT entry right before it. Everything the header
// promises the runtime can derive is checked here against the plan, so the
// tables never mean something else than the plan: the buffer of (device,
// role, chunk) is unique, every slot an action uses is in the buffer the
// header derives for it, sends and receives sit on the devices of their
// boundary's chunks, and waits stay on their device and point backwards.
// Free of MLIR; the generated C++ and the plan file print these tables.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_PLAN_PLANTABLES_H
#define CROSSPIPE_PLAN_PLANTABLES_H

#include "crosspipe/Plan/ExecutionPlan.h"
#include "crosspipe/Runtime/Plan.h"
#include "crosspipe/Runtime/PlanStorage.h"

#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace plan {

/// What the tables say beyond the plan itself.
struct TablesInput {
  /// Plan and algorithm names; bytes outside [A-Za-z0-9_.-] become '_'.
  std::string name;
  std::string algorithm;
  /// enum crosspipe_arrangement.
  int arrangement = CROSSPIPE_ARRANGE_NCCL;
  /// The best known bound on the makespan (0: unknown).
  double lowerBoundMs = 0;
};

/// The tables with the storage their pointers point into. Neither copied
/// nor moved (the header points into it); fill one with buildTables.
class PlanTables {
public:
  PlanTables() = default;
  PlanTables(const PlanTables &) = delete;
  PlanTables &operator=(const PlanTables &) = delete;

  /// The whole plan, as generated code returns it.
  const crosspipe_plan &plan() const { return header; }
  int numDevices() const { return header.devices; }
  const std::vector<crosspipe_action> &program(int device) const {
    return storage.actionTables[device];
  }
  /// For each entry of a device's program, the index in Plan::actions of
  /// the action it is, or (a WAIT) of the action it waits for.
  const std::vector<int> &sources(int device) const { return origin[device]; }
  /// Entries of all programs, waits included.
  size_t numEntries() const;

private:
  friend class TablesBuilder;
  void link() { storage.link(header); }

  crosspipe_plan header{};
  rt::PlanStorage storage;
  std::vector<std::vector<int>> origin;
};

/// Builds the tables of `plan`, a plan of `problem` (buildPlan's result, or
/// one read from IR). Returns "" on success, else what in the plan the
/// tables cannot say (naming the device, action and buffer), and `out` is
/// then unspecified.
std::string buildTables(const sched::Problem &problem, const Plan &plan,
                        const TablesInput &input, PlanTables &out);

/// `name` with every byte outside [A-Za-z0-9_.-] (and '>' when `link`)
/// replaced by '_', cut to CROSSPIPE_PLAN_MAX_NAME bytes; "_" when empty.
std::string safeName(std::string_view name, bool link = false);

/// Modelled time for which one message of `bytes` occupies the link of
/// `channel` (what its gbps means).
double channelBandwidthMs(const crosspipe_channel &channel, uint64_t bytes);

} // namespace plan
} // namespace crosspipe

#endif // CROSSPIPE_PLAN_PLANTABLES_H
