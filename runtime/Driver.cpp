//===- Driver.cpp - Options and the command-line driver -------------------===//
//
// crosspipe_main: parse options, set up, run warm-up and measured steps,
// write the trace and summary. A training program that embeds a plan calls
// crosspipe_init / crosspipe_run_step / crosspipe_finish itself instead.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static const char *kUsage =
    "usage: %s [options]\n"
    "  --steps N              measured steps (default 3)\n"
    "  --warmup N             unmeasured steps first (default 1)\n"
    "  --time-scale X         multiply every modelled time by X\n"
    "  --step-ms X            choose the scale so the simulated step takes X "
    "ms\n"
    "  --emulate-wan          nccl backend: inject the model's link latency "
    "and bandwidth\n"
    "  --tag-buffers          allocate only the tags of stashes and "
    "parameter gradients\n"
    "                         (enough for the synthetic stages)\n"
    "  --gpu N                emulate backend: the GPU to use (default 0)\n"
    "  --trace FILE           Chrome trace of the last measured step\n"
    "  --trace-predicted FILE the simulated timeline, scaled the same way\n"
    "  --summary FILE         JSON summary of every measured step\n";

extern "C" void crosspipe_default_options(crosspipe_options *options) {
  std::memset(options, 0, sizeof(*options));
  options->steps = 3;
  options->warmup = 1;
  options->time_scale = 1;
  options->full_buffers = 1;
}

extern "C" int crosspipe_parse_options(crosspipe_options *options, int argc,
                                       char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "crosspipe: %s needs a value\n", arg.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    const char *v = nullptr;
    if (arg == "--emulate-wan") {
      options->emulate_wan = 1;
    } else if (arg == "--tag-buffers") {
      options->full_buffers = 0;
    } else if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, argv[0]);
      std::exit(0);
    } else if (arg == "--steps" || arg == "--warmup" || arg == "--gpu" ||
               arg == "--time-scale" || arg == "--step-ms" ||
               arg == "--trace" || arg == "--trace-predicted" ||
               arg == "--summary") {
      if (!(v = value()))
        return 1;
      if (arg == "--steps")
        options->steps = std::atoi(v);
      else if (arg == "--warmup")
        options->warmup = std::atoi(v);
      else if (arg == "--gpu")
        options->gpu = std::atoi(v);
      else if (arg == "--time-scale")
        options->time_scale = std::atof(v);
      else if (arg == "--step-ms")
        options->step_ms = std::atof(v);
      else if (arg == "--trace")
        options->trace = v;
      else if (arg == "--trace-predicted")
        options->trace_predicted = v;
      else
        options->summary = v;
    } else {
      std::fprintf(stderr, "crosspipe: unknown option '%s'\n", arg.c_str());
      std::fprintf(stderr, kUsage, argv[0]);
      return 1;
    }
  }
  if (options->steps < 1 || options->warmup < 0) {
    std::fprintf(stderr, "crosspipe: --steps must be >= 1, --warmup >= 0\n");
    return 1;
  }
  return 0;
}

extern "C" int crosspipe_main(int argc, char **argv) {
  crosspipe_options options;
  crosspipe_default_options(&options);
  if (crosspipe_parse_options(&options, argc, argv) != 0)
    return 2;
  crosspipe_runtime *rt = crosspipe_init(&options);
  for (int i = 0; i < options.warmup; ++i)
    crosspipe_run_step(rt, /*measured=*/0);
  for (int i = 0; i < options.steps; ++i)
    crosspipe_run_step(rt, /*measured=*/1);
  return crosspipe_finish(rt);
}
