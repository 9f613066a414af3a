//===- Executor.h - The core and its backends -------------------*- C++ -*-===//
//
// The core (plan index, options, the step driver, hot swap, traces,
// summary, profile) runs a plan through an Executor: a backend that owns
// streams, completions, buffer slots with their tags, channels and link
// queues for the devices this process runs, and executes one step of the
// plan at a time. The host executor (runtime/host/) is one; a CUDA
// executor (streams, events, NCCL) implements the same five calls. See
// runtime/README.md for what each must guarantee.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CORE_EXECUTOR_H
#define CROSSPIPE_RUNTIME_CORE_EXECUTOR_H

#include "PlanIndex.h"

#include <memory>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {

/// Measured times of one step, in ms from the step's origin (the moment
/// every device this process runs was released), [device][action]. NaN for
/// waits and for devices another process runs (until gathered). A send's
/// span is its bandwidth window; a receive's from its posting to the
/// message's arrival.
struct StepTimes {
  std::vector<std::vector<double>> start, end;
  double wallMs = 0; ///< From release to the last completion here.
  void reset(const PlanIndex &index);
};

/// How a backend runs; fixed for the run.
struct ExecutorConfig {
  double timeScale = 1;   ///< Factor on every modelled time.
  double watchdogS = 30;  ///< A step that makes no progress this long fails.
  bool linkDelays = true; ///< Emulate link latency and bandwidth.
};

class Executor {
public:
  virtual ~Executor();

  /// Creates what running `index` needs for the devices this process runs:
  /// streams (threads), per-action completions, every buffer slot with its
  /// tag, the channels with their message queues, the link queues. The
  /// index outlives the executor's use of it; `config` holds for the run.
  virtual bool load(const PlanIndex &index, const ExecutorConfig &config,
                    std::string &error) = 0;

  /// Between steps: runs `next` from the next step on, re-creating only
  /// what differs from the loaded plan. `kept` says what was kept. A plan
  /// the backend cannot take is refused before anything changes.
  virtual bool swap(const PlanIndex &next, std::string &kept,
                    std::string &error) = 0;

  /// Runs step `step` (1, 2, ...) to its end: every action of this
  /// process's devices, waits honoured, tags written by producers and
  /// checked by consumers, messages matched in channel order. Fills `times`
  /// for this process's devices. On a tag or channel mismatch, a failed
  /// call or a stall beyond the watchdog, returns false with one line that
  /// names the device, the action (block and microbatch) and what was
  /// wrong; every process of the run then fails the same step.
  virtual bool runStep(int step, StepTimes &times, std::string &error) = 0;

  /// Makes `times` complete on the reporting process (one process per
  /// device: the reporting one receives every device's times).
  virtual bool gather(StepTimes &times, std::string &error) = 0;

  /// Whether this process writes the run's outputs.
  virtual bool reports() const = 0;

  /// True on every process iff `ok` is true on every process of the run
  /// (one process: `ok`). Keeps processes in step when one of them fails
  /// outside a step (a swap plan it cannot read).
  virtual bool agree(bool ok) = 0;

  /// How the plan is arranged here, for messages and the summary:
  /// "threads", "mpi", "emulate".
  virtual std::string arrangement() const = 0;

  /// Which executor runs it, for the summary and traces: "host", "cuda".
  virtual std::string backend() const = 0;

  /// Releases everything; the executor is unusable afterwards.
  virtual void close() = 0;
};

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CORE_EXECUTOR_H
