//===- Profile.h - Measured times back into the model -----------*- C++ -*-===//
//
// Reads measured per-block times and fits the problem's costs to them:
//   - a Chrome trace in the simulator's format (what crosspipe's runtime
//     measures, or --export-chrome-trace): compute events carry args
//     {op: F|B|D|W, chunk, mb, device[, part, parts]}, transfers args
//     {op: "xfer", kind: act|grad, chunk (the boundary), src, dst}, times
//     in microseconds;
//   - a CSV with a header naming its columns, for engines that are not
//     ours: `chunk`, `kind` (or `op`: F, B, D or I, W) and either `ms` or
//     `start_ms` and `end_ms` are required; `device` (checked against the
//     placement) and `parts` (a sub-block's time counts parts times) are
//     optional; other columns (step, mb, ...) and rows of other kinds are
//     ignored; '#' lines are comments, and one saying "time_scale X" (as
//     crosspipe-host-run --profile writes) divides every time by X.
// Each chunk's F, B (or D and W) becomes the median of its samples after
// dropping outliers (more than 3 scaled median absolute deviations from the
// median); each link's bandwidth the median over its messages of message
// bytes / link time, and, where a runtime profile pairs each send (its link
// window) with its receive (which ends at the arrival), its latency the
// median of arrival - window end. A Chrome trace carries no arrivals, so
// latencies are then kept. A profile that does not fit the problem (a chunk
// or device it lacks, a chunk on another device, a block kind of the other
// backward form) is refused with the line or event that does not fit.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_FORMAT_PROFILE_H
#define CROSSPIPE_FORMAT_PROFILE_H

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace sched {

/// One fitted figure: what the model said, what was measured.
struct ProfileFigure {
  /// "chunk 2 F", or "link east->west".
  std::string what;
  int chunk = -1; ///< Compute figures.
  BlockKind kind = BlockKind::F;
  int fromDc = -1, toDc = -1; ///< Link figures (a DC to itself: inside it).
  bool latency = false;        ///< A link's latency, else its bandwidth.
  double modelValue = 0, measuredValue = 0;
  const char *unit = "ms";
  int samples = 0, dropped = 0;
};

struct ProfileFit {
  bool ok = false;
  /// Where it does not fit ("line 7", "event 12") and why.
  std::string error;
  std::vector<ProfileFigure> figures;
  /// What the profile lacked (model values kept) and what was skipped.
  std::vector<std::string> notes;
};

/// Reads `text` (a Chrome trace when it starts with '{' or '[', else a CSV)
/// and fits `problem` to it; the problem is updated only when ok.
ProfileFit fitProfile(Problem &problem, std::string_view text);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_FORMAT_PROFILE_H
