//===- ProfileFuzzer.cpp - Fuzz the measured-profile reader ---------------===//
//
// fitProfile() reads a measured Chrome trace or a CSV; it must answer any
// text with a fit or an error naming a line or event, never a crash, and a
// fitted problem must still pass the scheduling library's validation (no
// zero, negative or non-finite cost reaches a scheduler).
//
//===----------------------------------------------------------------------===//

#include "FuzzProblem.h"

#include "crosspipe/Format/Profile.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace crosspipe::sched;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  // Two devices, one per datacenter, one chunk each.
  Problem p = crosspipe::fuzz::makeFuzzProblem(Placement::Unidirectional,
                                               data[0] % 2, 1, 2, 2);
  if (!validate(p).empty())
    std::abort();
  std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
  ProfileFit fit = fitProfile(p, text);
  if (fit.ok && !validate(p).empty()) {
    std::fprintf(stderr, "a fitted problem fails sched::validate: %s\n",
                 validate(p).c_str());
    std::abort();
  }
  return 0;
}
