//===- TestPlans.h - Hand-built execution plans for the runtime's tests ---===//
//
// The runtime's tests run without the compiler, so they build plans by
// hand: GPipe or 1F1B over P devices (chunk d on device d, devices split
// over two datacenters), M microbatches, fused or split backward, blocks
// cut into parts, DP all-reduces, message buffers of two slots reused with
// the waits that make the reuse safe, receives posted as early as their
// slot allows and in the sender's order. TestPlan owns every table, so a
// test can mutate one and check, write, read or run the plan again.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_RUNTIME_TESTPLANS_H
#define CROSSPIPE_UNITTESTS_RUNTIME_TESTPLANS_H

#include "crosspipe/Runtime/Plan.h"
#include "crosspipe/Runtime/PlanStorage.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {
namespace test {

struct PlanSpec {
  enum Schedule { GPipe, OneFOneB };
  Schedule schedule = OneFOneB;
  int devices = 3;
  int microbatches = 4;
  bool split = false; ///< D and W instead of B.
  int parts = 1;      ///< Sub-blocks per compute block.
  int messageSlots = 2;
  bool dp = false; ///< One all-reduce per chunk after its last B/W.
  int dpBuckets = 1;
  int arrangement = CROSSPIPE_ARRANGE_NCCL;
  double forwardMs = 10, backwardMs = 20, dgradMs = 10, wgradMs = 10;
  double allreduceMs = 5;
  /// Devices [0, firstDc) sit in datacenter "east", the rest in "west".
  int firstDc = -1; ///< -1: half of the devices.
  double intraLatencyMs = 0, intraGbps = 0;
  double crossLatencyMs = 5, crossGbps = 8;
  uint64_t messageBytes = 1 << 20;
  uint64_t stashBytes = 4 << 20, gradBytes = 2 << 20;
  std::string name = "test_plan";
};

/// A plan and the storage behind its pointers (PlanStorage's tables:
/// actionTables[d] is device d's program).
struct TestPlan : PlanStorage {
  /// The plan's scalar fields (version, devices, microbatches, ...).
  crosspipe_plan header{};

  /// The plan, its pointers refreshed after any edit of the tables.
  const crosspipe_plan *get();
  crosspipe_plan plan;

  /// Index of the first action of `device` matching op, chunk and mb; -1.
  int find(int device, int op, int chunk, int mb) const;
  /// Removes an action and renumbers the waits behind it (a wait on the
  /// removed action is removed too).
  void erase(int device, int index);
};

TestPlan buildPlan(const PlanSpec &spec);

/// The total of action counts.
int64_t actionCount(const crosspipe_plan &plan);

/// A plan file in memory (crosspipe_plan_write through a memory stream).
std::string writePlanText(const crosspipe_plan *plan);

/// Deep equality of two plans' tables (names compared as strings).
bool samePlan(const crosspipe_plan &a, const crosspipe_plan &b,
              std::string &difference);

} // namespace test
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_RUNTIME_TESTPLANS_H
