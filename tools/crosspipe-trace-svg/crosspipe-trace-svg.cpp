//===- crosspipe-trace-svg.cpp - Draw Chrome traces as SVG timelines ------===//
//
// `crosspipe-trace-svg [-o OUT.svg] [--px-per-ms F] TRACE.json...` draws
// Chrome traces in CrossPipe's trace contract, simulated
// (--export-chrome-trace) or measured by the runtime, as one SVG picture:
// several traces stack on one time scale, so a prediction and a measurement
// of the same schedule can be compared by eye. A panel is titled by the
// trace's otherData, else by its file name. A malformed trace is an error
// naming the event, with exit status 1; a scale that would make the picture
// wider than SvgTimeline.h allows is reduced with a warning, and traces that
// would make it taller are refused. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace crosspipe::sched;

static int usage(const char *why) {
  std::cerr << "crosspipe-trace-svg: " << why << "\n"
            << "usage: crosspipe-trace-svg [-o OUT.svg] [--px-per-ms F] "
               "TRACE.json...\n";
  return 2;
}

int main(int argc, char **argv) {
  std::string output = "-";
  SvgOptions options;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage("draws Chrome traces as SVG timelines");
      return 0;
    }
    if (arg == "-o" || arg == "--px-per-ms") {
      if (i + 1 == argc)
        return usage(("missing value after " + arg).c_str());
      std::string value = argv[++i];
      if (arg == "-o") {
        output = value;
        continue;
      }
      char *end = nullptr;
      options.pxPerMs = std::strtod(value.c_str(), &end);
      // strtod takes "inf" and "nan"; neither is a scale.
      if (value.empty() || *end || !(options.pxPerMs > 0) ||
          !std::isfinite(options.pxPerMs))
        return usage(
            ("--px-per-ms expects a positive number, got '" + value + "'")
                .c_str());
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-')
      return usage(("unknown option " + arg).c_str());
    inputs.push_back(arg);
  }
  if (inputs.empty())
    return usage("no trace given");

  std::vector<Timeline> timelines;
  for (const std::string &path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << path << ": error: cannot open\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    ParsedTimeline parsed = parseChromeTraceTimeline(text.str());
    if (!parsed.ok) {
      std::cerr << path << ": error: " << parsed.error << "\n";
      return 1;
    }
    // Two traces of one schedule carry one title; the file tells them apart.
    std::string name = path.substr(path.find_last_of('/') + 1);
    parsed.timeline.title = parsed.timeline.title.empty()
                                ? name
                                : parsed.timeline.title + " (" + name + ")";
    timelines.push_back(std::move(parsed.timeline));
  }
  SvgPicture picture = drawSvgTimeline(timelines, options);
  if (picture.omittedTimelines > 0) {
    std::cerr << "crosspipe-trace-svg: error: " << picture.notes.back()
              << "; draw fewer traces at once\n";
    return 1;
  }
  for (const std::string &note : picture.notes)
    std::cerr << "crosspipe-trace-svg: warning: " << note << "\n";
  const std::string &svg = picture.svg;
  if (output == "-") {
    std::cout << svg;
    return std::cout.good() ? 0 : 1;
  }
  std::ofstream out(output, std::ios::binary);
  out << svg;
  if (!out) {
    std::cerr << output << ": error: cannot write\n";
    return 1;
  }
  return 0;
}
