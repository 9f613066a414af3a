//===- SvgTimeline.h - Schedules and traces drawn as SVG --------*- C++ -*-===//
//
// Users pick a schedule by looking at its timeline. This draws one as an SVG
// picture: one row per device with its blocks coloured by kind (F, B, D, W)
// and labelled with their microbatch, one row per link with the messages'
// bandwidth windows, one row per device's DP collectives, idle time left
// grey, and each device's idle share at the end of its row. The picture is
// built from Chrome trace JSON in the contract of ChromeTrace.h, the same
// events Perfetto shows, so a simulated schedule and a trace measured by the
// runtime draw the same way; several timelines stack on one time scale to be
// compared by eye. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_FORMAT_SVGTIMELINE_H
#define CROSSPIPE_FORMAT_SVGTIMELINE_H

#include "crosspipe/Format/ChromeTrace.h"

#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace sched {

enum class TimelineKind {
  F,
  B,
  D,
  W,
  Activation, ///< A message's bandwidth window, forward direction.
  Gradient,   ///< A message's bandwidth window, backward direction.
  AllReduce,
  ReduceScatter,
  AllGather,
  Other ///< An event outside the contract (e.g. extra runtime events).
};

struct TimelineBlock {
  TimelineKind kind = TimelineKind::Other;
  double startMs = 0;
  double endMs = 0;
  /// Drawn inside the block when it fits: the microbatch, or the chunk of a
  /// collective.
  std::string label;
  /// The hover text: what, which chunk and microbatch, when.
  std::string tooltip;
  /// The model chunk, -1 when the event does not say.
  int chunk = -1;
  /// Rank of the block's chunk among the chunks of its device (0, 1, ...),
  /// so that a device's second chunk is told apart by shade.
  int shade = 0;
};

enum class TimelineRowType { Device, Link, Collective, Other };

struct TimelineRow {
  TimelineRowType type = TimelineRowType::Device;
  std::string name;
  std::vector<TimelineBlock> blocks;
};

struct Timeline {
  /// "m70-2dc: greedy" from the trace's otherData; the caller may replace
  /// it (a measured trace may carry none).
  std::string title;
  /// From otherData when the trace carries them (0 = unknown); drawn as
  /// vertical lines and in the panel's heading.
  double makespanMs = 0;
  double lowerBoundMs = 0;
  /// Devices (in device order), then links, collectives and others.
  std::vector<TimelineRow> rows;
  /// End of the last event, from the earliest event at time 0.
  double endMs = 0;
  /// Complete events that fit no row ("ph" other than "X" is never one).
  int ignoredEvents = 0;
};

struct ParsedTimeline {
  bool ok = false;
  std::string error;
  Timeline timeline;
};

/// Reads Chrome trace JSON ({"traceEvents": [...]} or a bare event array).
/// Blocks come from complete ("ph": "X") events: compute ops F/B/D/W by
/// args.device (else the thread id), "xfer" by args.link, collectives by
/// args.device; other complete events go to a row per thread, named by the
/// trace's thread_name metadata. Times are shifted so that the earliest
/// event starts at 0, which aligns a measured trace with a simulated one.
ParsedTimeline parseChromeTraceTimeline(std::string_view json);

/// The timeline of a simulated schedule, through writeChromeTrace() so that
/// the picture shows exactly what the trace does.
Timeline timelineFromSimulation(const Problem &problem,
                                const Schedule &schedule,
                                const SimResult &result,
                                const TraceSummary &summary);

struct SvgOptions {
  /// Horizontal scale in pixels per millisecond; 0 picks one so that the
  /// shortest compute block is about 16 px wide (labels fit), within
  /// [minWidthPx, maxWidthPx] for the time axis.
  double pxPerMs = 0;
  double minWidthPx = 900;
  double maxWidthPx = 4800;
};

/// Draws the timelines stacked, one panel each, on one time scale. An empty
/// list draws an empty picture with a note.
std::string renderSvgTimeline(const std::vector<Timeline> &timelines,
                              const SvgOptions &options = SvgOptions());

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_FORMAT_SVGTIMELINE_H
