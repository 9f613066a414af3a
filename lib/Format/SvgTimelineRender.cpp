//===- SvgTimelineRender.cpp - Timeline rows drawn as SVG -----------------===//
//
// The drawing half of SvgTimeline.h. Every panel shares one horizontal scale
// so that stacked timelines (a prediction over a measurement, or two
// schedules) line up. The scale is chosen from the shortest compute block so
// that microbatch numbers fit inside blocks at 8 devices x 32 microbatches;
// rows have a grey background, so idle time shows as grey gaps. Only the
// kinds that occur are listed in the legend. The picture stays within the
// bounds of SvgTimeline.h whatever the timelines hold, and every string from
// a trace is escaped, since traces come from outside.
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
constexpr int kMaxTicks = 2000;

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

/// Length of the valid UTF-8 sequence at `text[i]` that XML 1.0 may hold,
/// or 0 (a stray byte, an overlong form, a surrogate, U+FFFE or U+FFFF).
std::size_t xmlCharLength(const std::string &text, std::size_t i) {
  auto at = [&](std::size_t k) {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u;
  };
  unsigned c = at(i);
  std::size_t length = c >= 0xC2 && c <= 0xDF   ? 2
                       : c >= 0xE0 && c <= 0xEF ? 3
                       : c >= 0xF0 && c <= 0xF4 ? 4
                                                : 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((at(i + k) & 0xC0) != 0x80)
      return 0;
  unsigned second = at(i + 1);
  if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) ||
      (c == 0xF0 && second < 0x90) || (c == 0xF4 && second > 0x8F))
    return 0;
  if (c == 0xEF && second == 0xBF && at(i + 2) >= 0xBE)
    return 0;
  return length;
}

/// Text for XML content and attribute values: the five special characters
/// as entities, and what XML 1.0 cannot hold (control characters other than
/// tab and line breaks, bytes that are not UTF-8) as U+FFFD, so that names
/// from a trace can never break the picture.
std::string escape(const std::string &text) {
  static const char kReplacement[] = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t length = xmlCharLength(text, i);
      out += length ? text.substr(i, length) : kReplacement;
      i += length ? length : 1;
      continue;
    }
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
    case '\'':
      out += "&#39;";
      break;
    default:
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        out += kReplacement;
      else
        out += char(c);
    }
    ++i;
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

/// A number in the short form of messages: 1e+09, 4800, 0.25.
std::string shortNum(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", v);
  return buffer;
}

/// The scale, with a note in `notes` when the asked one had to be reduced.
Scale chooseScale(const std::vector<Timeline> &timelines,
                  const SvgOptions &options, std::vector<std::string> &notes) {
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
  // Timelines read from traces are bounded; ones built by hand may not be,
  // and a scale computed from an infinite or subnormal end would be too.
  s.endMs = std::clamp(s.endMs, 1e-9, 1e300);
  double hi = options.maxWidthPx > 0 && options.maxWidthPx < kMaxSvgAxisWidthPx
                  ? options.maxWidthPx
                  : kMaxSvgAxisWidthPx;
  double lo = std::min(options.minWidthPx > 0 ? options.minWidthPx : 1.0, hi);
  if (options.pxPerMs > 0) {
    s.px = options.pxPerMs;
    if (!(s.endMs * s.px <= kMaxSvgAxisWidthPx)) {
      s.px = kMaxSvgAxisWidthPx / s.endMs;
      notes.push_back("a scale of " + shortNum(options.pxPerMs) +
                      " px per ms would make the time axis " +
                      shortNum(s.endMs * options.pxPerMs) +
                      " px wide; reduced to " + shortNum(s.px) +
                      " px per ms (the axis is at most " +
                      shortNum(kMaxSvgAxisWidthPx) + " px wide)");
    }
  } else {
    double wanted = shortest > 0 ? 16.0 / shortest * s.endMs : 0;
    s.px = std::clamp(wanted, lo, hi) / s.endMs;
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
         "\" width=\"" + num(std::min(t.endMs, s.endMs) * s.px) +
         "\" height=\"" + num(h) + "\" fill=\"" +
         (device ? "#e6e6e6" : "#f4f4f4") + "\"/>\n";
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
  // At most axisWidth / 100 + 1 ticks; the count also stops a loop that
  // rounding would keep from reaching the end.
  int ticks = 0;
  for (double tick = 0; tick <= s.endMs + 1e-9 && ticks <= kMaxTicks;
       tick += s.step, ++ticks) {
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

/// The kinds that occur in the first `drawn` timelines, each with its
/// colour, and how to read the picture.
void drawLegend(std::string &svg, const std::vector<Timeline> &timelines,
                std::size_t drawn, double y) {
  std::set<TimelineKind> kinds;
  for (std::size_t i = 0; i < drawn; ++i)
    for (const TimelineRow &row : timelines[i].rows)
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

SvgPicture
crosspipe::sched::drawSvgTimeline(const std::vector<Timeline> &timelines,
                                  const SvgOptions &options) {
  SvgPicture picture;
  Scale scale = chooseScale(timelines, options, picture.notes);
  double width = kLabelWidth + scale.axisWidth + kRightWidth;
  double legendHeight = 28;
  double height = 8 + legendHeight;
  // The timelines that fit in kMaxSvgHeightPx, in order, with room for a
  // line saying what was left out.
  std::size_t drawn = 0;
  for (; drawn < timelines.size(); ++drawn) {
    double panel = panelHeight(timelines[drawn]);
    if (height + panel + 30 > kMaxSvgHeightPx)
      break;
    height += panel;
  }
  picture.omittedTimelines = int(timelines.size() - drawn);
  std::string omitted;
  if (picture.omittedTimelines > 0) {
    omitted = std::to_string(picture.omittedTimelines) + " of " +
              std::to_string(timelines.size()) +
              " timelines not drawn: the picture would be taller than " +
              shortNum(kMaxSvgHeightPx) + " px";
    picture.notes.push_back(omitted);
  }
  if (timelines.empty() || !omitted.empty())
    height += 30;

  std::string &svg = picture.svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) +
         "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " +
         num(height) +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  if (timelines.empty())
    svg += "<text x=\"8\" y=\"24\" font-size=\"13\">no timeline to "
           "draw</text>\n";

  double y = 4;
  for (std::size_t i = 0; i < drawn; ++i) {
    drawPanel(svg, timelines[i], y, scale);
    y += panelHeight(timelines[i]);
  }
  drawLegend(svg, timelines, drawn, y);
  if (!omitted.empty())
    svg += "<text x=\"8\" y=\"" + num(y + legendHeight + 20) +
           "\" font-size=\"13\" fill=\"#d62728\">" + escape(omitted) +
           "</text>\n";
  svg += "</svg>\n";
  return picture;
}

std::string
crosspipe::sched::renderSvgTimeline(const std::vector<Timeline> &timelines,
                                    const SvgOptions &options) {
  return drawSvgTimeline(timelines, options).svg;
}
