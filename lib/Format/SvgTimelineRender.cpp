//===- SvgTimelineRender.cpp - Timeline rows drawn as SVG -----------------===//
//
// The drawing half of SvgTimeline.h. Every panel shares one horizontal scale
// so that stacked timelines (a prediction over a measurement, or two
// schedules) line up. The scale is chosen from the shortest compute block so
// that microbatch numbers fit inside blocks at 8 devices x 32 microbatches;
// rows have a grey background, so idle time shows as grey gaps. Only the
// kinds that occur are listed in the legend.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

using namespace crosspipe::sched;

namespace {

constexpr double kLabelWidth = 112; // Row names.
constexpr double kRightWidth = 76;  // Idle shares.
constexpr double kDeviceRow = 20, kOtherRow = 13, kRowGap = 2;
constexpr double kGroupGap = 8, kHeading = 40, kAxis = 18;

struct Style {
  const char *name;
  const char *fill;
  const char *text;
};

Style styleOf(TimelineKind kind) {
  switch (kind) {
  case TimelineKind::F:
    return {"F (forward)", "#4c78a8", "#ffffff"};
  case TimelineKind::B:
    return {"B (backward)", "#2a9d8f", "#ffffff"};
  case TimelineKind::D:
    return {"D (input gradient)", "#54a24b", "#ffffff"};
  case TimelineKind::W:
    return {"W (weight gradient)", "#f28e2b", "#000000"};
  case TimelineKind::Activation:
    return {"activation transfer", "#9ecae9", "#000000"};
  case TimelineKind::Gradient:
    return {"gradient transfer", "#a1d99b", "#000000"};
  case TimelineKind::AllReduce:
    return {"DP all-reduce", "#b279a2", "#ffffff"};
  case TimelineKind::ReduceScatter:
    return {"DP reduce-scatter", "#d6a5c9", "#000000"};
  case TimelineKind::AllGather:
    return {"DP all-gather", "#9d7660", "#ffffff"};
  case TimelineKind::Other:
    break;
  }
  return {"other event", "#bab0ac", "#000000"};
}

/// A device's second, fourth, ... chunk is drawn darker.
std::string shaded(const char *hex, int shade) {
  if (shade % 2 == 0)
    return hex;
  unsigned r = 0, g = 0, b = 0;
  std::sscanf(hex, "#%02x%02x%02x", &r, &g, &b);
  char out[16];
  std::snprintf(out, sizeof(out), "#%02x%02x%02x", (r & 255) * 7 / 10,
                (g & 255) * 7 / 10, (b & 255) * 7 / 10);
  return out;
}

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

double rowHeight(const TimelineRow &row) {
  return row.type == TimelineRowType::Device ? kDeviceRow : kOtherRow;
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
double niceStep(double raw) {
  double base = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * base >= raw)
      return m * base;
  return 10 * base;
}

std::string tickLabel(double ms, double step) {
  char buffer[32];
  if (step >= 1000)
    std::snprintf(buffer, sizeof(buffer), "%g s", ms / 1000);
  else
    std::snprintf(buffer, sizeof(buffer), "%g ms", ms);
  return buffer;
}

double panelHeight(const Timeline &t) {
  double h = kHeading + kAxis;
  TimelineRowType last = TimelineRowType::Device;
  for (const TimelineRow &row : t.rows) {
    if (row.type != last)
      h += kGroupGap;
    last = row.type;
    h += rowHeight(row) + kRowGap;
  }
  return h;
}

/// The first F on device 0: the simulator's origin of the makespan and so
/// of the lower bound.
double firstForward(const Timeline &t) {
  for (const TimelineRow &row : t.rows)
    if (row.type == TimelineRowType::Device && row.name == "device 0")
      for (const TimelineBlock &b : row.blocks)
        if (b.kind == TimelineKind::F)
          return b.startMs;
  return 0;
}

/// The horizontal scale, shared by every panel.
struct Scale {
  /// The longest timeline's end (1 when all are empty).
  double endMs = 0;
  double px = 0; ///< Pixels per millisecond.
  double axisWidth = 0;
  double step = 0; ///< Between time axis ticks.
};

Scale chooseScale(const std::vector<Timeline> &timelines,
                  const SvgOptions &options) {
  Scale s;
  double shortest = 0;
  for (const Timeline &t : timelines) {
    s.endMs = std::max(s.endMs, t.endMs);
    for (const TimelineRow &row : t.rows)
      for (const TimelineBlock &b : row.blocks) {
        double d = b.endMs - b.startMs;
        if (row.type == TimelineRowType::Device && d > 0 &&
            (shortest == 0 || d < shortest))
          shortest = d;
      }
  }
  if (s.endMs <= 0)
    s.endMs = 1;
  s.px = options.pxPerMs;
  if (s.px <= 0) {
    double wanted = shortest > 0 ? 16.0 / shortest * s.endMs : 0;
    s.px = std::clamp(wanted, options.minWidthPx, options.maxWidthPx) / s.endMs;
  }
  s.axisWidth = s.endMs * s.px;
  s.step = niceStep(100 / s.px);
  return s;
}

/// The panel's title and one line of facts: how long, how far from the
/// bound.
void drawHeading(std::string &svg, const Timeline &t, double y) {
  std::string heading = t.title.empty() ? "timeline" : t.title;
  std::string facts = "end of last event " + num(t.endMs) + " ms";
  if (t.makespanMs > 0)
    facts = "makespan " + num(t.makespanMs) + " ms";
  if (t.lowerBoundMs > 0 && t.makespanMs > 0) {
    char ratio[64];
    std::snprintf(ratio, sizeof(ratio), " (%.3fx)",
                  t.makespanMs / t.lowerBoundMs);
    facts += ", lower bound " + num(t.lowerBoundMs) + " ms" + ratio;
  }
  if (t.ignoredEvents > 0)
    facts += ", " + std::to_string(t.ignoredEvents) +
             " events outside the trace contract";
  svg += "<text x=\"8\" y=\"" + num(y + 16) +
         "\" font-size=\"14\" font-weight=\"bold\">" + escape(heading) +
         "</text>\n";
  svg += "<text x=\"8\" y=\"" + num(y + 32) + "\" font-size=\"11\" " +
         "fill=\"#444444\">" + escape(facts) + "</text>\n";
}

/// One block of a row at `rowY`, labelled when the label fits.
void drawBlock(std::string &svg, const TimelineBlock &b, bool device,
               double rowY, double h, double px) {
  Style style = styleOf(b.kind);
  double x = kLabelWidth + b.startMs * px;
  double w = std::max((b.endMs - b.startMs) * px, 0.6);
  svg += "<rect x=\"" + num(x) + "\" y=\"" + num(rowY) + "\" width=\"" +
         num(w) + "\" height=\"" + num(h) + "\" fill=\"" +
         shaded(style.fill, b.shade) + "\"" +
         (w > 3 ? " stroke=\"#ffffff\" stroke-width=\"0.6\"" : "") +
         "><title>" + escape(b.tooltip) + "</title></rect>\n";
  double fontSize = device ? 9.5 : 8;
  if (!b.label.empty() && w >= double(b.label.size()) * fontSize * 0.62 + 2)
    svg += "<text x=\"" + num(x + w / 2) + "\" y=\"" +
           num(rowY + h / 2 + fontSize * 0.36) + "\" font-size=\"" +
           num(fontSize) + "\" text-anchor=\"middle\" fill=\"" + style.text +
           "\">" + escape(b.label) + "</text>\n";
}

/// One row at `rowY`: its name, a grey background (idle time), its blocks
/// and, for a device, its idle share at the right.
void drawRow(std::string &svg, const TimelineRow &row, const Timeline &t,
             double rowY, const Scale &s) {
  double h = rowHeight(row);
  bool device = row.type == TimelineRowType::Device;
  svg += "<text x=\"" + num(kLabelWidth - 6) + "\" y=\"" +
         num(rowY + h / 2 + 4) + "\" font-size=\"" + (device ? "11" : "9") +
         "\" text-anchor=\"end\">" + escape(row.name) + "</text>\n";
  svg += "<rect x=\"" + num(kLabelWidth) + "\" y=\"" + num(rowY) +
         "\" width=\"" + num(t.endMs * s.px) + "\" height=\"" + num(h) +
         "\" fill=\"" + (device ? "#e6e6e6" : "#f4f4f4") + "\"/>\n";
  double busy = 0;
  for (const TimelineBlock &b : row.blocks) {
    busy += b.endMs - b.startMs;
    drawBlock(svg, b, device, rowY, h, s.px);
  }
  if (device && t.endMs > 0) {
    char idle[32];
    std::snprintf(idle, sizeof(idle), "idle %.0f%%",
                  std::max(0.0, 100 * (1 - busy / t.endMs)));
    svg += "<text x=\"" + num(kLabelWidth + s.axisWidth + 6) + "\" y=\"" +
           num(rowY + h / 2 + 4) + "\" font-size=\"10\" fill=\"#444444\">" +
           idle + "</text>\n";
  }
}

/// The time axis under the rows (from `top` to `bottom`), with grid lines
/// through them.
void drawAxis(std::string &svg, double top, double bottom, const Scale &s) {
  for (double tick = 0; tick <= s.endMs + 1e-9; tick += s.step) {
    double x = kLabelWidth + tick * s.px;
    svg += "<line x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" +
           num(x) + "\" y2=\"" + num(bottom + 3) +
           "\" stroke=\"#000000\" stroke-opacity=\"0.12\"/>\n";
    svg += "<text x=\"" + num(x) + "\" y=\"" + num(bottom + 14) +
           "\" font-size=\"9\" text-anchor=\"middle\" fill=\"#444444\">" +
           tickLabel(tick, s.step) + "</text>\n";
  }
}

/// One timeline's panel from `y` down: heading, rows, time axis and lower
/// bound.
void drawPanel(std::string &svg, const Timeline &t, double y, const Scale &s) {
  drawHeading(svg, t, y);
  double top = y + kHeading;
  double rowY = top;
  TimelineRowType last = TimelineRowType::Device;
  for (const TimelineRow &row : t.rows) {
    if (row.type != last)
      rowY += kGroupGap;
    last = row.type;
    drawRow(svg, row, t, rowY, s);
    rowY += rowHeight(row) + kRowGap;
  }
  drawAxis(svg, top, rowY, s);
  // The lower bound, measured like the makespan from the first F.
  if (t.lowerBoundMs > 0) {
    double x = kLabelWidth + (firstForward(t) + t.lowerBoundMs) * s.px;
    svg += "<line x1=\"" + num(x) + "\" y1=\"" + num(top - 4) + "\" x2=\"" +
           num(x) + "\" y2=\"" + num(rowY) +
           "\" stroke=\"#d62728\" stroke-dasharray=\"4 3\">"
           "<title>lower bound</title></line>\n";
  }
}

/// The kinds that occur, each with its colour, and how to read the picture.
void drawLegend(std::string &svg, const std::vector<Timeline> &timelines,
                double y) {
  std::set<TimelineKind> kinds;
  for (const Timeline &t : timelines)
    for (const TimelineRow &row : t.rows)
      for (const TimelineBlock &b : row.blocks)
        kinds.insert(b.kind);
  double x = 8;
  for (TimelineKind kind : kinds) {
    Style style = styleOf(kind);
    svg += "<rect x=\"" + num(x) + "\" y=\"" + num(y + 10) +
           "\" width=\"14\" height=\"10\" fill=\"" + style.fill + "\"/>\n";
    svg += "<text x=\"" + num(x + 18) + "\" y=\"" + num(y + 19) +
           "\" font-size=\"10\">" + style.name + "</text>\n";
    x += 26 + 6.2 * double(std::string(style.name).size());
  }
  svg += "<text x=\"" + num(x + 6) + "\" y=\"" + num(y + 19) +
         "\" font-size=\"10\" fill=\"#444444\">grey: idle; darker: a "
         "device's 2nd chunk; labels: microbatch; dashed: lower bound</text>\n";
}

} // namespace

std::string
crosspipe::sched::renderSvgTimeline(const std::vector<Timeline> &timelines,
                                    const SvgOptions &options) {
  Scale scale = chooseScale(timelines, options);
  double width = kLabelWidth + scale.axisWidth + kRightWidth;
  double legendHeight = 28;
  double height = 8 + legendHeight;
  for (const Timeline &t : timelines)
    height += panelHeight(t);
  if (timelines.empty())
    height += 30;

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) +
         "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " +
         num(height) +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  if (timelines.empty())
    svg += "<text x=\"8\" y=\"24\" font-size=\"13\">no timeline to "
           "draw</text>\n";

  double y = 4;
  for (const Timeline &t : timelines) {
    drawPanel(svg, t, y, scale);
    y += panelHeight(t);
  }
  drawLegend(svg, timelines, y);
  svg += "</svg>\n";
  return svg;
}
