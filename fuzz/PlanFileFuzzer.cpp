//===- PlanFileFuzzer.cpp - Fuzz the plan file reader ---------------------===//
//
// crosspipe_plan_parse reads files anybody may have edited, so any bytes
// must give a plan or one line of error, never a crash, a hang or a huge
// allocation. An accepted plan must pass crosspipe_plan_check, write back
// (crosspipe_plan_write) and read again to the same text: the reader and
// the writer agree on every plan the reader accepts. Each input is also
// read with its end line's checksum recomputed, so that mutations get past
// the checksum into the table parsers and crosspipe_plan_check.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/Plan.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {
std::string write(const crosspipe_plan *plan) {
  char *data = nullptr;
  size_t size = 0;
  FILE *out = open_memstream(&data, &size);
  if (!out)
    std::abort();
  int status = crosspipe_plan_write(plan, out);
  std::fclose(out);
  std::string text(data, size);
  std::free(data);
  if (status != 0) {
    std::fprintf(stderr, "an accepted plan does not write back\n");
    std::abort();
  }
  return text;
}

/// `text` with the checksum of its last "end" line recomputed; empty if it
/// has none.
std::string rehashed(const std::string &text) {
  size_t end = text.rfind("\nend ");
  size_t last = text.rfind(' ');
  if (end == std::string::npos || last < end)
    return {};
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i <= end; ++i) {
    hash ^= static_cast<unsigned char>(text[i]);
    hash *= 0x100000001b3ull;
  }
  char hex[24];
  std::snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)hash);
  return text.substr(0, last + 1) + hex + "\n";
}

void readOne(const std::string &input) {
  char error[512];
  crosspipe_plan *plan = crosspipe_plan_parse(
      input.data(), input.size(), "fuzz.plan", error, sizeof(error));
  if (!plan) {
    if (std::strchr(error, '\n') || !error[0]) {
      std::fprintf(stderr, "the error is not one line: '%s'\n", error);
      std::abort();
    }
    return;
  }
  if (crosspipe_plan_check(plan, error, sizeof(error)) != 0) {
    std::fprintf(stderr, "an accepted plan fails the check: %s\n", error);
    std::abort();
  }
  std::string text = write(plan);
  crosspipe_plan *again = crosspipe_plan_parse(
      text.data(), text.size(), "again.plan", error, sizeof(error));
  if (!again || write(again) != text) {
    std::fprintf(stderr, "a written plan does not read back: %s\n",
                 again ? "different text" : error);
    std::abort();
  }
  crosspipe_plan_free(again);
  crosspipe_plan_free(plan);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string input(reinterpret_cast<const char *>(data), size);
  readOne(input);
  std::string again = rehashed(input);
  if (!again.empty() && again != input)
    readOne(again);
  return 0;
}
