//===- SvgPlot.cpp - Line charts for the reproduction's figures -----------===//
//
// Axes get 1-2-5 ticks (or decades on a log scale); every series has a
// colour and a marker shape by first appearance of its name, so that a
// schedule keeps them across panels.
//
//===----------------------------------------------------------------------===//

#include "SvgPlot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

using namespace crosspipe::repro;

namespace {

const char *const kPalette[] = {"#4c78a8", "#f58518", "#e45756", "#72b7b2",
                                "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
                                "#9d755d", "#79706e"};

std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

std::string label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", v);
  return buffer;
}

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text)
    out += c == '&'   ? "&amp;"
           : c == '<' ? "&lt;"
           : c == '>' ? "&gt;"
                      : std::string(1, c);
  return out;
}

/// Ticks covering [lo, hi]: decades on a log axis, else 1-2-5 steps.
std::vector<double> ticks(double lo, double hi, bool log) {
  std::vector<double> out;
  if (log) {
    for (double t = std::pow(10, std::floor(std::log10(lo))); t <= hi * 1.0001;
         t *= 10)
      for (double m : {1.0, 2.0, 5.0})
        if (t * m >= lo * 0.9999 && t * m <= hi * 1.0001)
          out.push_back(t * m);
    return out;
  }
  double raw = (hi - lo) / 5;
  double base = std::pow(10, std::floor(std::log10(raw)));
  double step = base;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * base >= raw) {
      step = m * base;
      break;
    }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-6;
       t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

struct Axis {
  double lo, hi;
  bool log;
  double pos(double v, double from, double to) const {
    double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    double x = log ? std::log10(v) : v;
    return from + (x - a) / (b - a) * (to - from);
  }
};

Axis fit(double lo, double hi, bool log, std::optional<double> fixedLo,
         std::optional<double> fixedHi) {
  if (!(lo <= hi)) {
    lo = log ? 1 : 0;
    hi = log ? 10 : 1;
  }
  if (hi == lo) {
    hi = log ? hi * 2 : hi + 1;
    lo = log ? lo / 2 : lo - 1;
  } else if (!log) {
    double margin = (hi - lo) * 0.05;
    lo -= margin;
    hi += margin;
  }
  return {fixedLo.value_or(lo), fixedHi.value_or(hi), log};
}

} // namespace

std::string crosspipe::repro::renderPlot(const std::string &title,
                                         const std::vector<Panel> &panels,
                                         double panelWidth,
                                         double panelHeight) {
  std::map<std::string, int> colours;
  std::vector<std::pair<std::string, bool>> legend;
  for (const Panel &panel : panels)
    for (const Series &s : panel.series)
      if (colours.emplace(s.name, int(colours.size())).second)
        legend.push_back({s.name, s.dashed});

  const double left = 62, right = 14, top = 30, bottom = 46;
  double width = panels.size() * panelWidth + 10;
  int legendRows = int((legend.size() + 3) / 4);
  double height = 34 + panelHeight + 16 + legendRows * 18 + 6;
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) +
      "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " +
      num(height) +
      "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
      "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" +
      escape(title) + "</text>\n";

  for (size_t p = 0; p < panels.size(); ++p) {
    const Panel &panel = panels[p];
    double x0 = 10 + p * panelWidth + left,
           x1 = 10 + (p + 1) * panelWidth - right;
    double y0 = 34 + top, y1 = 34 + panelHeight - bottom;
    double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo;
    double ylo = xlo, yhi = -xlo;
    for (const Series &s : panel.series)
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (panel.logX && s.x[i] <= 0)
          continue;
        xlo = std::min(xlo, s.x[i]);
        xhi = std::max(xhi, s.x[i]);
        if (std::isfinite(s.y[i]) && !(panel.logY && s.y[i] <= 0)) {
          ylo = std::min(ylo, s.y[i]);
          yhi = std::max(yhi, s.y[i]);
        }
      }
    Axis ax = fit(xlo, xhi, panel.logX, std::nullopt, std::nullopt);
    if (!panel.logX) // Sweeps start at their first point, not before.
      ax = {xlo, xhi > xlo ? xhi : xlo + 1, false};
    Axis ay = fit(ylo, yhi, panel.logY, panel.yMin, panel.yMax);

    svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num(34 + 14) +
           "\" font-size=\"12\" text-anchor=\"middle\" font-weight=\"bold\">" +
           escape(panel.title) + "</text>\n";
    svg += "<rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" +
           num(x1 - x0) + "\" height=\"" + num(y1 - y0) +
           "\" fill=\"none\" stroke=\"#444444\"/>\n";
    for (double t : ticks(ax.lo, ax.hi, ax.log)) {
      double x = ax.pos(t, x0, x1);
      svg += "<line x1=\"" + num(x) + "\" y1=\"" + num(y0) + "\" x2=\"" +
             num(x) + "\" y2=\"" + num(y1) +
             "\" stroke=\"#000000\" stroke-opacity=\"0.08\"/>\n<text x=\"" +
             num(x) + "\" y=\"" + num(y1 + 13) +
             "\" font-size=\"10\" text-anchor=\"middle\">" + label(t) +
             "</text>\n";
    }
    for (double t : ticks(ay.lo, ay.hi, ay.log)) {
      double y = ay.pos(t, y1, y0);
      svg += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y) + "\" x2=\"" +
             num(x1) + "\" y2=\"" + num(y) +
             "\" stroke=\"#000000\" stroke-opacity=\"0.08\"/>\n<text x=\"" +
             num(x0 - 4) + "\" y=\"" + num(y + 3) +
             "\" font-size=\"10\" text-anchor=\"end\">" + label(t) +
             "</text>\n";
    }
    svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num(y1 + 30) +
           "\" font-size=\"11\" text-anchor=\"middle\">" +
           escape(panel.xLabel) + "</text>\n";
    svg += "<text transform=\"translate(" + num(x0 - 44) + " " +
           num((y0 + y1) / 2) +
           ") rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">" +
           escape(panel.yLabel) + "</text>\n";

    // Schedules often tie; earlier series are drawn wider and with larger
    // markers of their own shape, so that a later one on top of them leaves
    // them visible.
    size_t count = panel.series.size();
    for (size_t k = 0; k < count; ++k) {
      const Series &s = panel.series[k];
      int id = colours[s.name];
      const char *colour = kPalette[id % 10];
      double widthPx = 1.4 + 2.0 * double(count - 1 - k) / double(count);
      double r = 2.4 + 1.6 * double(count - 1 - k) / double(count);
      std::string points;
      std::string markers;
      double lastY = 0;
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.y[i]) || (panel.logX && s.x[i] <= 0) ||
            (panel.logY && s.y[i] <= 0))
          continue;
        double x = ax.pos(s.x[i], x0, x1);
        double y = ay.pos(std::clamp(s.y[i], ay.lo, ay.hi), y1, y0);
        if (s.step && !points.empty())
          points += num(x) + "," + num(lastY) + " ";
        points += num(x) + "," + num(y) + " ";
        lastY = y;
        std::string tip = "<title>" + escape(s.name) + ": " + label(s.x[i]) +
                          ", " + label(s.y[i]) + "</title>";
        switch (id % 3) {
        case 0:
          markers += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) +
                     "\" r=\"" + num(r) + "\" fill=\"" + colour + "\">" + tip +
                     "</circle>\n";
          break;
        case 1:
          markers += "<rect x=\"" + num(x - r) + "\" y=\"" + num(y - r) +
                     "\" width=\"" + num(2 * r) + "\" height=\"" + num(2 * r) +
                     "\" fill=\"" + colour + "\">" + tip + "</rect>\n";
          break;
        default:
          markers += "<path d=\"M" + num(x) + " " + num(y - 1.3 * r) + " L" +
                     num(x + 1.2 * r) + " " + num(y + r) + " L" +
                     num(x - 1.2 * r) + " " + num(y + r) + " Z\" fill=\"" +
                     colour + "\">" + tip + "</path>\n";
        }
      }
      svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" +
             colour + "\" stroke-width=\"" + num(widthPx) + "\"" +
             (s.dashed ? " stroke-dasharray=\"6 3\"" : "") + "/>\n" + markers;
    }
  }

  double ly = 34 + panelHeight + 12;
  for (size_t i = 0; i < legend.size(); ++i) {
    double lx = 14 + double(i % 4) * (width - 20) / 4;
    double y = ly + double(i / 4) * 18;
    int id = colours[legend[i].first];
    const char *colour = kPalette[id % 10];
    svg += "<line x1=\"" + num(lx) + "\" y1=\"" + num(y) + "\" x2=\"" +
           num(lx + 22) + "\" y2=\"" + num(y) + "\" stroke=\"" + colour +
           "\" stroke-width=\"2\"" +
           (legend[i].second ? " stroke-dasharray=\"6 3\"" : "") +
           "/>\n<text x=\"" + num(lx + 28) + "\" y=\"" + num(y + 4) +
           "\" font-size=\"11\">" + escape(legend[i].first) + "</text>\n";
    double cx = lx + 11;
    if (id % 3 == 0)
      svg += "<circle cx=\"" + num(cx) + "\" cy=\"" + num(y) +
             "\" r=\"3\" fill=\"" + colour + "\"/>\n";
    else if (id % 3 == 1)
      svg += "<rect x=\"" + num(cx - 3) + "\" y=\"" + num(y - 3) +
             "\" width=\"6\" height=\"6\" fill=\"" + colour + "\"/>\n";
    else
      svg += "<path d=\"M" + num(cx) + " " + num(y - 4) + " L" + num(cx + 3.6) +
             " " + num(y + 3) + " L" + num(cx - 3.6) + " " + num(y + 3) +
             " Z\" fill=\"" + colour + "\"/>\n";
  }
  svg += "</svg>\n";
  return svg;
}
