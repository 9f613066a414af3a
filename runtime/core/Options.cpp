//===- Options.cpp - The runner's command line ----------------------------===//
//
// crosspipe_run_parse_options: every option of a run (Run.h), with numbers
// parsed whole and range-checked (a typo such as "--steps 3x" is an error,
// not 3) and one line of error naming the option.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace crosspipe::rt;

const char *const crosspipe::rt::kRunUsage =
    "usage: crosspipe-host-run [--plan FILE] [options]\n"
    "Runs an execution plan (a plan file, or the plan compiled in) on host\n"
    "threads: compute blocks and link delays are timed waits at the time\n"
    "scale, every buffer slot is tagged and checked. Launched with mpirun\n"
    "(one process per device), devices talk over MPI.\n"
    "  --plan FILE             the plan file to run\n"
    "  --steps N               measured steps (default 3)\n"
    "  --warmup N              unmeasured steps first (default 1)\n"
    "  --time-scale X          multiply every modelled time by X (default 1;\n"
    "                          0 runs as fast as the host can)\n"
    "  --step-ms X             choose the time scale so that the simulated\n"
    "                          step takes X ms\n"
    "  --watchdog-s S          fail a step that makes no progress for S s\n"
    "                          (default: 30 s or 4 simulated steps)\n"
    "  --no-link-delays        messages take no modelled time\n"
    "  --check full|structure  how much of the plan to check before running\n"
    "                          (structure: let the run-time checks meet a\n"
    "                          broken plan; default full)\n"
    "  --swap-plan FILE        switch to this plan file ...\n"
    "  --swap-after N          ... after N steps (warm-up included)\n"
    "  --trace FILE            Chrome trace of the last measured step\n"
    "  --trace-predicted FILE  the modelled step, scaled alike\n"
    "  --summary FILE          JSON summary of the run\n"
    "  --profile FILE          CSV: every action of every measured step\n"
    "  --quiet                 no summary line on stdout\n";

extern "C" void crosspipe_run_default_options(crosspipe_run_options *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->steps = 3;
  options->warmup = 1;
  options->time_scale = 1;
  options->link_delays = 1;
}

namespace {

bool parseInt(const char *text, int lo, int hi, int &out) {
  std::string_view t(text);
  int v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() || v < lo || v > hi)
    return false;
  out = v;
  return true;
}

bool parseReal(const char *text, double lo, double hi, double &out) {
  std::string_view t(text);
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() ||
      !std::isfinite(v) || v < lo || v > hi)
    return false;
  out = v;
  return true;
}

} // namespace

int crosspipe::rt::parseRunOptions(crosspipe_run_options &o, int argc,
                                   char **argv, const char **plan,
                                   std::string &error) {
  if (plan)
    *plan = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i] ? argv[i] : "";
    if (arg == "--help" || arg == "-h")
      return 1;
    if (arg == "--no-link-delays") {
      o.link_delays = 0;
      continue;
    }
    if (arg == "--quiet") {
      o.quiet = 1;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      error = "unexpected argument '" + arg + "' (see --help)";
      return -1;
    }
    if (i + 1 >= argc || !argv[i + 1]) {
      error = arg + " needs a value";
      return -1;
    }
    const char *v = argv[++i];
    bool ok = true;
    if (arg == "--plan" && plan)
      *plan = v;
    else if (arg == "--steps")
      ok = parseInt(v, 1, 1000000, o.steps);
    else if (arg == "--warmup")
      ok = parseInt(v, 0, 1000000, o.warmup);
    else if (arg == "--swap-after")
      ok = parseInt(v, 1, 2000000, o.swap_after);
    else if (arg == "--time-scale")
      ok = parseReal(v, 0, 1e6, o.time_scale);
    else if (arg == "--step-ms")
      ok = parseReal(v, 0, 1e9, o.step_ms) && o.step_ms > 0;
    else if (arg == "--watchdog-s")
      ok = parseReal(v, 0, 1e7, o.watchdog_s) && o.watchdog_s > 0;
    else if (arg == "--check") {
      ok = std::string(v) == "full" || std::string(v) == "structure";
      o.structure_only = std::string(v) == "structure";
    } else if (arg == "--trace")
      o.trace = v;
    else if (arg == "--trace-predicted")
      o.trace_predicted = v;
    else if (arg == "--summary")
      o.summary = v;
    else if (arg == "--profile")
      o.profile = v;
    else if (arg == "--swap-plan")
      o.swap_plan = v;
    else {
      error = "unknown option '" + arg + "' (see --help)";
      return -1;
    }
    if (!ok) {
      error = arg + ": invalid value '" + v + "'";
      return -1;
    }
  }
  if (o.swap_plan && o.swap_after < 1) {
    error = "--swap-plan needs --swap-after N (N >= 1)";
    return -1;
  }
  if (!o.swap_plan && o.swap_after > 0) {
    error = "--swap-after needs --swap-plan FILE";
    return -1;
  }
  return 0;
}

extern "C" int crosspipe_run_parse_options(crosspipe_run_options *options,
                                           int argc, char **argv,
                                           const char **plan_path, char *error,
                                           size_t size) {
  if (!options)
    return -1;
  try {
    std::string message;
    int status = parseRunOptions(*options, argc, argv, plan_path, message);
    if (status < 0)
      copyError(message, error, size);
    return status;
  } catch (...) {
    copyError("out of memory parsing the options", error, size);
    return -1;
  }
}
