//===- GreedyTestUtil.h - What every greedy schedule must satisfy -*- C++
//-*-===//
//
// checkedGreedy() runs the greedy and checks what holds for any problem
// (GreedyTest, GreedySearchTest).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_UNITTESTS_SCHEDULE_GREEDYTESTUTIL_H
#define CROSSPIPE_UNITTESTS_SCHEDULE_GREEDYTESTUTIL_H

#include "crosspipe/Schedule/Greedy.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace crosspipe {
namespace sched {
namespace test {

inline double relTol(double x) { return 1e-9 * std::max(1.0, std::fabs(x)); }

/// Runs the greedy and checks what must hold for any problem: success, the
/// simulator agrees with the greedy's own timing and with the reported
/// makespan, and no device exceeds its memory budget.
inline GreedyResult checkedGreedy(const Problem &p, const GreedyOptions &o,
                                  const std::string &what) {
  GreedyResult r = scheduleGreedy(p, o);
  EXPECT_TRUE(r.ok) << what << ": " << r.error;
  if (!r.ok)
    return r;
  SimResult sim = simulate(p, r.schedule);
  EXPECT_TRUE(sim.ok) << what << ": " << sim.error;
  if (!sim.ok)
    return r;
  EXPECT_NEAR(sim.makespanMs, r.makespanMs, relTol(r.makespanMs)) << what;
  EXPECT_NEAR(r.predictedMakespanMs, r.greedyMakespanMs,
              relTol(r.greedyMakespanMs))
      << what << " (rule " << r.rule << ")";
  for (int d = 0; d < p.numDevices(); ++d)
    EXPECT_LE(sim.peakMemoryBytes[d], p.memoryLimit(d))
        << what << ": device " << d << " (rule " << r.rule << ")";
  // No schedule beats the provable lower bound.
  double bound = computeLowerBound(p).makespanMs;
  EXPECT_GE(r.makespanMs, bound - relTol(bound)) << what;
  return r;
}

} // namespace test
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_UNITTESTS_SCHEDULE_GREEDYTESTUTIL_H
