//===- Driver.cpp - Steps, swaps and what a run writes --------------------===//
//
// Run (Driver.h) and the backend-neutral C calls of Run.h around it. The
// time scale is chosen once from the first plan (--step-ms divides by its
// simulated step) and kept across swaps, so steps of different plans
// compare. Each measured step's makespan follows the simulator's
// definition (first F on device 0 to the last compute block or collective)
// and is compared with the plan's simulated step at the same scale.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "Report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace crosspipe::rt;

Executor::~Executor() = default;

void StepTimes::reset(const PlanIndex &index) {
  start.resize(index.devices());
  end.resize(index.devices());
  for (int d = 0; d < index.devices(); ++d) {
    int n = index.plan().programs[d].count;
    start[d].assign(n, NAN);
    end[d].assign(n, NAN);
  }
  wallMs = 0;
}

RunOptions::RunOptions(const crosspipe_run_options &options) : c(options) {
  auto own = [](const char *&field, std::string &storage) {
    storage = field ? field : "";
    field = field ? storage.c_str() : nullptr;
  };
  own(c.trace, trace);
  own(c.trace_predicted, tracePredicted);
  own(c.summary, summary);
  own(c.profile, profile);
  own(c.swap_plan, swapPlan);
}

std::shared_ptr<LoadedPlan> crosspipe::rt::loadPlan(const crosspipe_plan *plan,
                                                    CheckLevel level,
                                                    std::string &error) {
  PlanFault fault;
  if (!checkPlan(plan, level, fault)) {
    error = "invalid plan: " + formatFault(fault);
    return nullptr;
  }
  auto loaded = std::make_shared<LoadedPlan>();
  loaded->plan.reset(copyPlan(*plan));
  loaded->index = std::make_unique<PlanIndex>(*loaded->plan);
  const ModelTimeline &model = loaded->index->model();
  if (!model.ok && level == CheckLevel::Full) {
    error = "invalid plan: " + model.error;
    return nullptr;
  }
  return loaded;
}

//===----------------------------------------------------------------------===//
// Run
//===----------------------------------------------------------------------===//

std::unique_ptr<Run> Run::create(const crosspipe_plan *plan,
                                 const crosspipe_run_options &options,
                                 std::unique_ptr<Executor> executor,
                                 std::string &error) {
  std::unique_ptr<Run> run(new Run(options));
  run->level =
      options.structure_only ? CheckLevel::Structure : CheckLevel::Full;
  run->current = loadPlan(plan, run->level, error);
  run->exec = std::move(executor);
  if (!run->exec->agree(run->current != nullptr)) {
    if (error.empty())
      error = "another process could not load the plan";
    run->exec->close();
    run->closed = true;
    return nullptr;
  }
  const PlanIndex &index = *run->current->index;
  run->scale = options.time_scale;
  if (options.step_ms > 0 && index.simulatedMs() > 0)
    run->scale = options.step_ms / index.simulatedMs();
  ExecutorConfig config;
  config.timeScale = run->scale;
  config.linkDelays = options.link_delays != 0;
  config.watchdogS =
      options.watchdog_s > 0
          ? options.watchdog_s
          : std::max(30.0, 4e-3 * index.simulatedMs() * run->scale);
  if (!run->exec->load(index, config, error) || !run->openProfile(error)) {
    run->exec->close();
    run->closed = true;
    return nullptr;
  }
  return run;
}

Run::~Run() {
  if (profile)
    std::fclose(profile);
  if (exec && !closed)
    exec->close();
}

bool Run::openProfile(std::string &error) {
  if (!options.c.profile || !exec->reports())
    return true;
  profile = std::fopen(options.c.profile, "w");
  if (!profile || !writeProfileHeader(profile, *current->index, scale)) {
    error = std::string("cannot write the profile to ") + options.c.profile;
    return false;
  }
  return true;
}

bool Run::step(bool measured, std::string &error) {
  if (failed) {
    error = "the run has already failed";
    return false;
  }
  const PlanIndex &index = *current->index;
  StepTimes times;
  times.reset(index);
  ++stepCount;
  if (!exec->runStep(stepCount, times, error) || !exec->gather(times, error)) {
    failed = true;
    error = "step " + std::to_string(stepCount) + ": " + error;
    return false;
  }
  if (!measured || !exec->reports())
    return true;
  Record r;
  r.step = stepCount;
  r.plan = index.plan().name;
  r.makespanMs = makespanOf(index, times.start, times.end);
  r.predictedMs = index.simulatedMs() * scale;
  r.wallMs = times.wallMs;
  r.actions = index.actionCount();
  records.push_back(r);
  if (profile && !writeProfileRows(profile, stepCount, index, times, scale)) {
    error = std::string("cannot write the profile to ") + options.c.profile;
    failed = true;
    return false;
  }
  lastPlan = current;
  lastTimes = std::move(times);
  return true;
}

bool Run::swap(const crosspipe_plan *plan, std::string &error) {
  if (failed) {
    error = "the run has already failed";
    return false;
  }
  std::shared_ptr<LoadedPlan> next = loadPlan(plan, level, error);
  if (!exec->agree(next != nullptr)) {
    if (error.empty())
      error = "another process could not load the plan to swap to";
    return false;
  }
  // A backend refuses a plan before it changes anything: the run goes on
  // with the current one.
  std::string kept;
  if (!exec->swap(*next->index, kept, error))
    return false;
  swaps.push_back({stepCount, current->plan->name, next->plan->name, kept});
  if (profile)
    std::fprintf(profile, "# from step %d: plan %s algorithm %s\n",
                 stepCount + 1, next->plan->name, next->plan->algorithm);
  current = std::move(next);
  return true;
}

bool Run::finish(std::string &error) {
  bool ok = true;
  if (exec->reports()) {
    TraceInfo info;
    info.timeScale = scale;
    info.arrangement = exec->arrangement();
    info.backend = exec->backend();
    if (options.c.trace && lastPlan) {
      info.makespanMs = records.back().makespanMs;
      info.step = records.back().step;
      ok = writeTrace(options.c.trace, info, *lastPlan->index, lastTimes.start,
                      lastTimes.end, error);
    }
    if (ok && options.c.trace_predicted) {
      const PlanIndex &index = lastPlan ? *lastPlan->index : *current->index;
      const ModelTimeline &model = index.model();
      std::vector<std::vector<double>> start = model.start, end = model.end;
      for (auto *table : {&start, &end})
        for (std::vector<double> &row : *table)
          for (double &t : row)
            t *= scale;
      info.measured = false;
      info.makespanMs = model.makespanMs * scale;
      info.step = 0;
      ok =
          writeTrace(options.c.trace_predicted, info, index, start, end, error);
    }
    if (ok && options.c.summary)
      ok = writeSummary(error);
    if (profile) {
      if (std::fclose(profile) != 0 && ok) {
        error = std::string("cannot write the profile to ") + options.c.profile;
        ok = false;
      }
      profile = nullptr;
    }
    if (ok && !options.c.quiet)
      printLine();
  }
  exec->close();
  closed = true;
  return ok;
}

//===----------------------------------------------------------------------===//
// The summary
//===----------------------------------------------------------------------===//

namespace {
double meanOf(const std::vector<double> &values) {
  double sum = 0;
  for (double v : values)
    sum += v;
  return values.empty() ? 0 : sum / double(values.size());
}
} // namespace

bool Run::writeSummary(std::string &error) const {
  FILE *out = std::fopen(options.c.summary, "w");
  if (!out) {
    error = std::string("cannot write the summary to ") + options.c.summary;
    return false;
  }
  const crosspipe_plan &p = current->index->plan();
  std::vector<double> measured, ratios;
  double actions = 0, wall = 0;
  std::string steps;
  for (const Record &r : records) {
    measured.push_back(r.makespanMs);
    ratios.push_back(r.predictedMs > 0 ? r.makespanMs / r.predictedMs : 0);
    actions += double(r.actions);
    wall += r.wallMs;
    steps += std::string(steps.empty() ? "" : ",\n    ") +
             "{\"step\": " + std::to_string(r.step) +
             ", \"plan\": " + jsonString(r.plan) +
             ", \"makespan_ms\": " + jsonNumber(r.makespanMs) +
             ", \"predicted_ms\": " + jsonNumber(r.predictedMs) +
             ", \"measured_over_predicted\": " + jsonNumber(ratios.back()) +
             ", \"wall_ms\": " + jsonNumber(r.wallMs) +
             ", \"actions\": " + std::to_string(r.actions) + "}";
  }
  std::string swapList;
  for (const SwapRecord &s : swaps)
    swapList += std::string(swapList.empty() ? "" : ", ") +
                "{\"after_step\": " + std::to_string(s.afterStep) +
                ", \"from\": " + jsonString(s.from) +
                ", \"to\": " + jsonString(s.to) +
                ", \"kept\": " + jsonString(s.kept) + "}";
  double predicted = current->index->simulatedMs() * scale;
  std::fprintf(
      out,
      "{\"plan\": %s, \"algorithm\": %s, \"backend\": %s, "
      "\"arrangement\": %s, \"devices\": %d, \"microbatches\": %d, "
      "\"time_scale\": %s, \"predicted_makespan_ms\": %s, "
      "\"lower_bound_ms\": %s, \"measured_makespan_ms\": %s, "
      "\"measured_over_predicted\": %s, \"actions_per_step\": %lld, "
      "\"blocks_per_step\": %lld, \"actions_per_s\": %s, "
      "\"tags_checked\": true, \"steps_run\": %d,\n  \"swaps\": [%s],\n"
      "  \"steps\": [\n    %s]}\n",
      jsonString(p.name).c_str(), jsonString(p.algorithm).c_str(),
      jsonString(exec->backend()).c_str(),
      jsonString(exec->arrangement()).c_str(), p.devices, p.microbatches,
      jsonNumber(scale).c_str(), jsonNumber(predicted).c_str(),
      jsonNumber(p.lower_bound_ms * scale).c_str(),
      jsonNumber(meanOf(measured)).c_str(), jsonNumber(meanOf(ratios)).c_str(),
      (long long)current->index->actionCount(),
      (long long)current->index->computeBlocks(),
      jsonNumber(wall > 0 ? actions / (wall / 1e3) : 0).c_str(), stepCount,
      swapList.c_str(), steps.c_str());
  if (std::ferror(out) | (std::fclose(out) != 0)) {
    error = std::string("cannot write the summary to ") + options.c.summary;
    return false;
  }
  return true;
}

void Run::printLine() const {
  if (records.empty())
    return;
  std::vector<double> measured, ratios;
  double actions = 0, wall = 0;
  for (const Record &r : records) {
    measured.push_back(r.makespanMs);
    ratios.push_back(r.predictedMs > 0 ? r.makespanMs / r.predictedMs : 0);
    actions += double(r.actions);
    wall += r.wallMs;
  }
  const crosspipe_plan &p = current->index->plan();
  std::printf("crosspipe: %s (%s, host %s): measured step %.3f ms, simulated "
              "%.3f ms (x%.3f), time scale %g, %.0f actions/s\n",
              p.name, p.algorithm, exec->arrangement().c_str(),
              meanOf(measured), current->index->simulatedMs() * scale,
              meanOf(ratios), scale, wall > 0 ? actions / (wall / 1e3) : 0.0);
  std::fflush(stdout);
}

//===----------------------------------------------------------------------===//
// The C API (backend-neutral part)
//===----------------------------------------------------------------------===//

struct crosspipe_executor {
  std::unique_ptr<Run> run;
};

crosspipe_executor *crosspipe::rt::wrapRun(std::unique_ptr<Run> run) {
  auto *handle = new crosspipe_executor();
  handle->run = std::move(run);
  return handle;
}

extern "C" int crosspipe_executor_step(crosspipe_executor *rt, int measured,
                                       char *error, size_t size) {
  if (!rt) {
    copyError("no executor", error, size);
    return -1;
  }
  try {
    std::string message;
    if (rt->run->step(measured != 0, message))
      return 0;
    copyError(message, error, size);
  } catch (...) {
    copyError("out of memory running a step", error, size);
  }
  return -1;
}

extern "C" int crosspipe_swap_plan(crosspipe_executor *rt,
                                   const crosspipe_plan *plan, char *error,
                                   size_t size) {
  if (!rt) {
    copyError("no executor", error, size);
    return -1;
  }
  try {
    std::string message;
    if (rt->run->swap(plan, message))
      return 0;
    copyError(message, error, size);
  } catch (...) {
    copyError("out of memory swapping the plan", error, size);
  }
  return -1;
}

extern "C" int crosspipe_executor_finish(crosspipe_executor *rt, char *error,
                                         size_t size) {
  if (!rt)
    return 0;
  int status = -1;
  try {
    std::string message;
    if (rt->run->finish(message))
      status = 0;
    else
      copyError(message, error, size);
  } catch (...) {
    copyError("out of memory finishing the run", error, size);
  }
  delete rt;
  return status;
}
