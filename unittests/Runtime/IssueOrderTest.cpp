//===- IssueOrderTest.cpp - One global order of NCCL operations -----------===//
//
// consistentIssueOrder against brute force over every permutation of a few
// operations, the cycle it returns checked edge by edge, and the plan-level
// check on hand-built plans: the test plans post receives early on each
// device on its own, which NCCL cannot order, and one issue order per
// message (receive and send together) fixes that.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/IssueOrder.h"
#include "TestPlans.h"
#include "core/PlanInternal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

using namespace crosspipe::rt;

namespace {

/// Whether some order of the keys agrees with every device's order.
bool bruteForce(const std::vector<std::vector<IssuedOp>> &perDevice, int n) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  do {
    std::vector<int> rank(n);
    for (int i = 0; i < n; ++i)
      rank[order[i]] = i;
    bool ok = true;
    for (const auto &ops : perDevice)
      for (size_t i = 1; i < ops.size() && ok; ++i)
        ok = rank[ops[i - 1].key] <= rank[ops[i].key];
    if (ok)
      return true;
  } while (std::next_permutation(order.begin(), order.end()));
  return false;
}

TEST(IssueOrder, AgreesWithBruteForceAndReturnsARealCycle) {
  std::mt19937 rng(7);
  int inconsistent = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    int n = 2 + int(rng() % 5), devices = 1 + int(rng() % 4);
    std::vector<std::vector<IssuedOp>> perDevice(devices);
    int64_t action = 0;
    for (auto &ops : perDevice) {
      std::vector<int> keys(n);
      std::iota(keys.begin(), keys.end(), 0);
      std::shuffle(keys.begin(), keys.end(), rng);
      keys.resize(rng() % (n + 1)); // each operation at most once a device
      for (int k : keys)
        ops.push_back({uint64_t(k), action++});
    }
    std::vector<IssueEdge> cycle;
    bool ok = consistentIssueOrder(perDevice, cycle);
    ASSERT_EQ(ok, bruteForce(perDevice, n)) << "trial " << trial;
    if (ok) {
      EXPECT_TRUE(cycle.empty());
      continue;
    }
    ++inconsistent;
    ASSERT_GE(cycle.size(), 2u);
    // Each edge is a consecutive pair of its device; they chain and close.
    auto keyOf = [&](int device, int64_t a) -> uint64_t {
      for (const IssuedOp &op : perDevice[device])
        if (op.action == a)
          return op.key;
      ADD_FAILURE() << "action " << a << " not on device " << device;
      return ~0ull;
    };
    for (size_t e = 0; e < cycle.size(); ++e) {
      const auto &ops = perDevice[cycle[e].device];
      auto it = std::find_if(ops.begin(), ops.end(), [&](const IssuedOp &op) {
        return op.action == cycle[e].before;
      });
      ASSERT_TRUE(it != ops.end() && it + 1 != ops.end());
      EXPECT_EQ((it + 1)->action, cycle[e].after);
      const IssueEdge &next = cycle[(e + 1) % cycle.size()];
      EXPECT_EQ(keyOf(cycle[e].device, cycle[e].after),
                keyOf(next.device, next.before));
    }
  }
  EXPECT_GT(inconsistent, 100); // both outcomes are exercised
}

TEST(IssueOrder, TwoDevicesPostingTheirReceivesFirst) {
  // Device 0: recv grad (key 1), send act (key 0); device 1: recv act,
  // send grad: 1 before 0 on one, 0 before 1 on the other.
  std::vector<std::vector<IssuedOp>> perDevice = {{{1, 10}, {0, 11}},
                                                  {{0, 20}, {1, 21}}};
  std::vector<IssueEdge> cycle;
  ASSERT_FALSE(consistentIssueOrder(perDevice, cycle));
  ASSERT_EQ(cycle.size(), 2u);
  // Swapping device 0's order makes it consistent.
  std::swap(perDevice[0][0].key, perDevice[0][1].key);
  EXPECT_TRUE(consistentIssueOrder(perDevice, cycle));
}

TEST(IssueOrder, PlanCheckNamesTheCycle) {
  test::PlanSpec spec;
  spec.devices = 2;
  spec.microbatches = 2;
  test::TestPlan plan = test::buildPlan(spec);
  PlanFault fault;
  // The hand-built plans post every receive first on each device.
  ASSERT_FALSE(checkNcclIssueOrder(*plan.get(), fault));
  EXPECT_NE(fault.message.find("no single order agrees with"),
            std::string::npos)
      << fault.message;
  EXPECT_NE(fault.message.find("RECV_"), std::string::npos);
  // One device runs no NCCL operation across devices with itself.
  spec.devices = 1;
  test::TestPlan single = test::buildPlan(spec);
  EXPECT_TRUE(checkNcclIssueOrder(*single.get(), fault)) << fault.message;
}

} // namespace
