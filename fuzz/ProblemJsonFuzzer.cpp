//===- ProblemJsonFuzzer.cpp - Fuzz the JSON experiment reader ------------===//
//
// parseProblemJson() promises never to throw and to report every malformed
// or out-of-range description as an error; an accepted problem must then
// pass the scheduling library's own validation, since every scheduler
// relies on it. Any crash, sanitizer report or disagreement is a finding.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/ProblemJson.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  crosspipe::ParsedProblem parsed = crosspipe::parseProblemJson(text);
  if (!parsed.ok) {
    // Exercises the message formatting on every error the reader produces.
    (void)crosspipe::formatJsonError(parsed.error, "fuzz.json");
    return 0;
  }
  std::string error = crosspipe::sched::validate(parsed.problem);
  if (!error.empty()) {
    std::fprintf(stderr, "accepted problem fails sched::validate: %s\n",
                 error.c_str());
    std::abort();
  }
  return 0;
}
