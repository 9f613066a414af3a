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

/// Bounds on what a trace may make the picture hold (README, "Input
/// format"), so that a malformed or hostile trace gets an error or a
/// smaller picture rather than exhausting memory.
/// Device indices (args.device, else the thread id of a compute or
/// collective event) run from 0 to kMaxTimelineDevices - 1.
inline constexpr int kMaxTimelineDevices = 16384;
/// Rows of one timeline: every device up to the highest, links, collectives
/// and other threads.
inline constexpr int kMaxTimelineRows = 20000;
/// Magnitude of a complete event's "ts" and "dur", in microseconds (about
/// 3000 years).
inline constexpr double kMaxTraceTimeUs = 1e17;
/// Width of the time axis in pixels: a larger scale is reduced to fit.
inline constexpr double kMaxSvgAxisWidthPx = 100000;
/// Height of the picture in pixels (about 45000 device rows): timelines that
/// would make it taller are left out.
inline constexpr double kMaxSvgHeightPx = 1000000;

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
/// A malformed trace is an error naming the event ("traceEvents[3]: 'ph'
/// must be a string, got 5"): every event must be an object with a string
/// "ph", a string "name", integer "pid"/"tid" and an object "args" where
/// given; complete events need a numeric "ts", and args' op/kind/link must
/// be strings and device/chunk/mb integers; the bounds above apply. Never
/// throws.
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
  /// [minWidthPx, maxWidthPx] for the time axis. Either way the axis is at
  /// most kMaxSvgAxisWidthPx wide.
  double pxPerMs = 0;
  double minWidthPx = 900;
  double maxWidthPx = 4800;
};

struct SvgPicture {
  std::string svg;
  /// What was reduced or left out to keep the picture within
  /// kMaxSvgAxisWidthPx and kMaxSvgHeightPx, one sentence each.
  std::vector<std::string> notes;
  /// Timelines not drawn because the picture would be too tall (the last
  /// ones; the picture says so).
  int omittedTimelines = 0;
};

/// Draws the timelines stacked, one panel each, on one time scale. An empty
/// list draws an empty picture with a note. Every string drawn is escaped
/// for XML (& < > " ', control characters and invalid UTF-8 replaced).
SvgPicture drawSvgTimeline(const std::vector<Timeline> &timelines,
                           const SvgOptions &options = SvgOptions());

/// drawSvgTimeline()'s picture alone.
std::string renderSvgTimeline(const std::vector<Timeline> &timelines,
                              const SvgOptions &options = SvgOptions());

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_FORMAT_SVGTIMELINE_H
