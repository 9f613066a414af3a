//===- Baselines.h - Static pipeline schedules from the literature -*- C++ -*-//
//
// The fixed schedules every result is compared against: GPipe, 1F1B,
// Megatron's interleaved 1F1B, the zero-bubble paper's ZB-H1 and ZB-V, and
// DeepSeek's DualPipeV (on ZB-V's V placement, as PyTorch lays it out; the
// model runs its overlapped forward/backward pairs one after the other).
// Each is a pure function of the problem's shape (placement, counts, split
// backward); none looks at costs or the memory budget, which is exactly why
// they degrade across slow links. The caller simulates the result and checks
// peak memory against the budget.
//
// Peak activations held per device (held from F start to the end of W, or
// of B when fused; counted in chunk activations), M microbatches, S stages
// with stage d on device d, P devices, v chunks per device:
//   gpipe        M.
//   1f1b         min(S - d, M).
//   interleaved  min(2 (P - d - 1) + (v - 1) N + 1, v M), where N is the
//                microbatch group size (P when P divides M; see Baselines.cpp).
//   zb-h1        min(S, M): stage d defers d weight passes, which in this
//                model still hold their activations (the zero-bubble paper
//                counts them as mostly freed by D, hence its "1F1B memory").
//   zb-v         min(2P, M + 1 + d, 2M).
// With zero delays and equal blocks the makespans are (M + S - 1)(f + b)
// for gpipe and 1f1b, (v max(M, P) + min(M, P) - 1)(f + b) for interleaved,
// 3M + S - 1 for zb-h1 with f = d = w = 1 and M >= S, and 6M + P - 1 for
// zb-v with f = d = w = 1 and M >= 2P (BaselinesTest.cpp checks all five).
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_BASELINES_H
#define CROSSPIPE_SCHEDULE_BASELINES_H

#include "crosspipe/Schedule/Schedule.h"

#include <optional>
#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

enum class BaselineKind { GPipe, OneFOneB, Interleaved, ZBH1, ZBV, DualPipeV };

struct BaselineResult {
  bool ok = false;
  /// Why the baseline does not apply to the problem, when !ok.
  std::string error;
  Schedule schedule;
};

/// "gpipe", "1f1b", "interleaved", "zb-h1", "zb-v" or "dualpipe-v".
const char *baselineName(BaselineKind kind);

/// The inverse of baselineName(); nullopt for any other string.
std::optional<BaselineKind> parseBaselineName(const std::string &name);

/// Every baseline, in declaration order.
std::vector<BaselineKind> allBaselineKinds();

/// Builds the baseline's per-device block order for `problem`. Never
/// throws; when sched::validate() rejects the problem or the baseline does
/// not apply (wrong placement, fused backward for a zero-bubble schedule,
/// wrong chunk count) returns ok == false with the reason. Split-backward
/// problems get D immediately followed by W in the schedules that predate the
/// split (gpipe, 1f1b, interleaved).
BaselineResult buildBaseline(const Problem &problem, BaselineKind kind);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_BASELINES_H
