//===- SvgPlot.h - Line charts for the reproduction's figures ---*- C++ -*-===//
//
// The paper's figures are line charts (slowdown against a delay ratio,
// speedup against bandwidth, gap against time); this draws them as SVG with
// no dependency beyond the standard library, so that `make repro` needs
// nothing a clean Debian checkout lacks. Several panels can sit side by side
// with one shared legend.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_BENCH_REPRO_SVGPLOT_H
#define CROSSPIPE_BENCH_REPRO_SVGPLOT_H

#include <optional>
#include <string>
#include <vector>

namespace crosspipe {
namespace repro {

struct Series {
  std::string name;
  std::vector<double> x, y;
  /// Drawn dashed (e.g. a schedule of a different placement).
  bool dashed = false;
  /// A step function (an anytime curve): each value holds until the next x.
  bool step = false;
};

struct Panel {
  std::string title;
  std::string xLabel, yLabel;
  bool logX = false;
  bool logY = false;
  /// Axis ranges; unset = from the data (with a margin).
  std::optional<double> yMin, yMax;
  std::vector<Series> series;
};

/// Draws the panels left to right, each `panelWidth` x `panelHeight` pixels,
/// with a legend of every series name (the same name is one colour in
/// every panel) under them and `title` above.
std::string renderPlot(const std::string &title,
                       const std::vector<Panel> &panels,
                       double panelWidth = 440, double panelHeight = 320);

} // namespace repro
} // namespace crosspipe

#endif // CROSSPIPE_BENCH_REPRO_SVGPLOT_H
