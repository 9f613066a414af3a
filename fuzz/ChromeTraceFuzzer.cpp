//===- ChromeTraceFuzzer.cpp - Fuzz the Chrome trace reader and SVG -------===//
//
// crosspipe-trace-svg reads traces measured by the runtime or written by
// hand, so parseChromeTraceTimeline() must turn any text into a timeline or
// an error, never throw or crash, and keep the picture within the bounds of
// SvgTimeline.h; an accepted trace is drawn as the tool draws it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace crosspipe::sched;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  ParsedTimeline parsed = parseChromeTraceTimeline(text);
  if (!parsed.ok)
    return 0;
  std::vector<Timeline> timelines{parsed.timeline};
  (void)drawSvgTimeline(timelines);
  return 0;
}
