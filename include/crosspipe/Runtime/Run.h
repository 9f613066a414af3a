/*===- Run.h - Running a plan: the executor's C API -----------------------===*
 *
 * Runs an execution plan (Plan.h) step after step on a backend: the host
 * executor (host threads instead of CUDA streams, link latency and
 * bandwidth emulated, compute blocks as timed waits; builds with a plain
 * C++17 compiler) or, once ported, CUDA + NCCL. A plan comes compiled in
 * (crosspipe_compiled_plan()) or from a plan file (crosspipe_plan_read);
 * between steps another plan may replace it (crosspipe_swap_plan). Every
 * buffer slot carries a tag (role, chunk, microbatch, step) that producers
 * write and consumers check, so a misrouted, dropped or reordered transfer
 * fails the run naming the device, block and microbatch; a stalled step
 * fails after the watchdog's timeout. No function lets an exception out;
 * errors come back as one line in `error`.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CROSSPIPE_RUNTIME_RUN_H
#define CROSSPIPE_RUNTIME_RUN_H

#include "crosspipe/Runtime/Plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crosspipe_run_options {
  int steps;          /* measured steps (default 3) */
  int warmup;         /* unmeasured steps first (default 1) */
  double time_scale;  /* factor on every modelled time (default 1) */
  double step_ms;     /* if > 0: choose time_scale so that the simulated
                         step takes this long */
  double watchdog_s;  /* a step that makes no progress this long fails
                         (0: 30 s or 4 simulated steps, the larger) */
  int link_delays;    /* emulate link latency and bandwidth (default 1) */
  int structure_only; /* check the plan for structure only, so that the
                         executor's own run-time checks meet a broken
                         plan (tests; default 0) */
  int quiet;          /* no line on stdout at the end (default 0) */
  const char *trace;  /* Chrome trace of the last measured step */
  const char *trace_predicted; /* the modelled step, scaled alike */
  const char *summary;         /* JSON summary of the run */
  const char *profile;         /* CSV: one row per action per step */
  const char *swap_plan;       /* a plan file to switch to ... */
  int swap_after;              /* ... after this many steps (warm-up
                                  included; 0: never) */
} crosspipe_run_options;

typedef struct crosspipe_executor crosspipe_executor;

void crosspipe_run_default_options(crosspipe_run_options *options);

/* Parses the options above from a command line (argv[0] skipped):
 * --steps N --warmup N --time-scale X --step-ms X --watchdog-s S
 * --no-link-delays --check structure|full --quiet --trace FILE
 * --trace-predicted FILE --summary FILE --profile FILE --swap-plan FILE
 * --swap-after N; `*plan_path` receives --plan FILE (NULL when absent).
 * Strings point into argv. Returns 0, 1 after printing --help, or -1 with
 * one line in `error`. */
int crosspipe_run_parse_options(crosspipe_run_options *options, int argc,
                                char **argv, const char **plan_path,
                                char *error, size_t size);

/* Checks `plan`, copies it, and sets up the host executor for it: in one
 * process every device as threads, or, launched with mpirun one process
 * per device (the runtime built with MPI), this process's device. Returns
 * NULL with one line in `error` on failure. */
crosspipe_executor *
crosspipe_executor_create(const crosspipe_plan *plan,
                          const crosspipe_run_options *options, char *error,
                          size_t size);

/* Runs one step (measured or warm-up). Returns 0, or -1 with one line in
 * `error` (tag or channel mismatch, watchdog); the executor can then only
 * be finished. */
int crosspipe_executor_step(crosspipe_executor *rt, int measured, char *error,
                            size_t size);

/* Switches to `plan` (checked and copied) from the next step on, keeping
 * the threads, buffers, channels and link queues it shares with the
 * current one. Returns 0, or -1 with one line in `error`; on error the
 * current plan stays. */
int crosspipe_swap_plan(crosspipe_executor *rt, const crosspipe_plan *plan,
                        char *error, size_t size);

/* Writes the trace, predicted trace, summary and profile asked for, prints
 * the measured step against the simulated one, and frees everything.
 * Returns 0, or -1 with one line in `error`. */
int crosspipe_executor_finish(crosspipe_executor *rt, char *error, size_t size);

/* A whole run from a command line: the plan of --plan FILE, else
 * `compiled` (may be NULL). What crosspipe-host-run's main() calls. Returns
 * the process exit status: 0, 1 on a failed run, 2 on bad usage. */
int crosspipe_host_main(int argc, char **argv, const crosspipe_plan *compiled);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CROSSPIPE_RUNTIME_RUN_H */
