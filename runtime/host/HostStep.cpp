//===- HostStep.cpp - A step of the host executor, and its watchdog -------===//
//
// The main thread's side of a step: under MPI every process first meets the
// others (a barrier that an abort notice ends), then the origin is taken,
// the workers are released, and the main thread waits for all of them and
// for the delay lane, watching progress. A step in which nothing completes
// and nothing sleeps on a deadline for the watchdog's time is stopped with
// a report of what each stream waits for (streams waiting on another
// device first). The delay lane completes receives once their message's
// latency has passed, so that back-to-back messages overlap latencies as
// on a real link. Under MPI every process agrees on the step's outcome and
// rank 0 gathers every device's times.
//
//===----------------------------------------------------------------------===//

#include "host/HostExecutor.h"

#include <algorithm>
#include <cmath>

#ifdef __linux__
#include <sys/prctl.h>
#endif

using namespace crosspipe::rt;
using namespace crosspipe::rt::host;

//===----------------------------------------------------------------------===//
// The delay lane
//===----------------------------------------------------------------------===//

void HostExecutor::laneLoop() {
#ifdef __linux__
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
#endif
  std::unique_lock<std::mutex> lock(laneMutex);
  while (!laneQuit) {
    if (aborting() && !landings.empty()) {
      inFlight.fetch_sub(int(landings.size()));
      landings.clear();
    }
    if (landings.empty()) {
      laneCv.wait_for(lock, std::chrono::milliseconds(50));
      continue;
    }
    Landing next = landings.front();
    if (Clock::now() < next.at) {
      laneCv.wait_until(lock, next.at);
      continue;
    }
    std::pop_heap(landings.begin(), landings.end(), std::greater<Landing>());
    landings.pop_back();
    lock.unlock();
    times->end[next.device][next.action] = msSinceOrigin(Clock::now());
    complete(nullptr, next.device, next.action, next.step);
    inFlight.fetch_sub(1);
    { std::lock_guard<std::mutex> main(mainMutex); }
    mainCv.notify_all();
    lock.lock();
  }
}

void HostExecutor::land(const Landing &landing) {
  inFlight.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(laneMutex);
    landings.push_back(landing);
    std::push_heap(landings.begin(), landings.end(), std::greater<Landing>());
  }
  laneCv.notify_all();
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

bool HostExecutor::runStep(int step, StepTimes &stepTimes, std::string &error) {
  if (aborting()) {
    error = firstError.empty() ? "the run was stopped" : firstError;
    return false;
  }
  if (world && !world->barrier([this] { return aborting(); })) {
    error = "another process failed before step " + std::to_string(step);
    return false;
  }
  times = &stepTimes;
  finished.store(0);
  // Every worker is idle here; mark them before any can start, so that a
  // worker already blocked is never marked running behind its back.
  for (auto &dev : devices)
    if (dev)
      for (auto &w : dev->workers)
        if (w)
          w->state.store(int(WorkerState::Running));
  origin = Clock::now();
  goStep.store(step);
  for (auto &dev : devices)
    if (dev)
      for (auto &w : dev->workers)
        if (w)
          w->notify();
  bool ok = waitForWorkers(step);
  stepTimes.wallMs = msSinceOrigin(Clock::now());
  if (world)
    ok = world->agree(ok);
  if (!ok) {
    std::lock_guard<std::mutex> lock(errorMutex);
    error =
        firstError.empty() ? "another process failed in this step" : firstError;
    abortFlag.store(true);
  }
  return ok;
}

bool HostExecutor::waitForWorkers(int step) {
  int64_t seen = progress.load();
  Clock::time_point lastProgress = Clock::now();
  std::unique_lock<std::mutex> lock(mainMutex);
  while (finished.load() < workerCount ||
         (!aborting() && inFlight.load() > 0)) {
    mainCv.wait_for(lock, std::chrono::milliseconds(20));
    if (aborting())
      continue; // wait for the workers to stop
    int from = -1;
    if (world && world->abortReceived(from)) {
      lock.unlock();
      abort("stopped: process " + std::to_string(from) + " (device " +
            std::to_string(from) + ") failed");
      lock.lock();
      continue;
    }
    Clock::time_point now = Clock::now();
    // A worker in a timed wait is progress in the making (a long block);
    // anything else that does not complete is stalled.
    bool timed = false;
    for (auto &dev : devices)
      if (dev)
        for (auto &w : dev->workers)
          if (w && w->sleepingUntil.load() != 0)
            timed = true;
    timed = timed || inFlight.load() > 0;
    int64_t count = progress.load();
    if (count != seen || timed) {
      seen = count;
      lastProgress = now;
      continue;
    }
    double stalled = std::chrono::duration<double>(now - lastProgress).count();
    if (stalled >= config.watchdogS) {
      std::string report = stallReport(step, stalled);
      lock.unlock();
      abort(report);
      if (world)
        world->sendAbort();
      lock.lock();
    }
  }
  if (aborting() && world)
    world->sendAbort();
  return !aborting();
}

std::string HostExecutor::stallReport(int step, double seconds) const {
  // Streams waiting on another device first: they are where a lost or
  // misordered message shows.
  std::vector<std::string> blocked, local;
  for (auto &dev : devices) {
    if (!dev)
      continue;
    for (auto &w : dev->workers) {
      if (!w)
        continue;
      int state = w->state.load(), at = w->at.load();
      if (at < 0 || state == int(WorkerState::Done))
        continue;
      std::string what = plan->where(w->device, at) + " on " +
                         streamName(w->stream) + " waits for ";
      const ActionInfo &info = plan->info(w->device, at);
      if (state == int(WorkerState::WaitAction)) {
        int j = w->waitingFor.load();
        what += j >= 0 ? describeAction(plan->action(w->device, j)) +
                             " (action " + std::to_string(j) + ")"
                       : std::string("an earlier action");
        local.push_back(what);
        continue;
      } else if (state == int(WorkerState::WaitPosted)) {
        what += "its receive on device " + std::to_string(info.peer) +
                " to be posted";
      } else if (state == int(WorkerState::WaitMessage)) {
        what += "its message from device " + std::to_string(info.peer);
      } else {
        continue;
      }
      blocked.push_back(what);
    }
  }
  blocked.insert(blocked.end(), local.begin(), local.end());
  std::string text = "deadlock: step " + std::to_string(step) +
                     " made no progress for " + std::to_string(int(seconds)) +
                     " s (watchdog): ";
  for (size_t k = 0; k < blocked.size() && k < 6; ++k)
    text += (k ? "; " : "") + blocked[k];
  if (blocked.size() > 6)
    text += "; and " + std::to_string(blocked.size() - 6) + " more";
  if (blocked.empty())
    text += "every stream here has finished; another process is stuck";
  return text;
}

bool HostExecutor::gather(StepTimes &stepTimes, std::string &error) {
  if (!world)
    return true;
  int d = world->rank();
  std::vector<std::vector<double>> perRank(world->size());
  for (int r = 0; r < world->size(); ++r)
    perRank[r].assign(2 * size_t(plan->plan().programs[r].count), NAN);
  for (size_t i = 0; i < stepTimes.start[d].size(); ++i) {
    perRank[d][2 * i] = stepTimes.start[d][i];
    perRank[d][2 * i + 1] = stepTimes.end[d][i];
  }
  if (!world->gather(perRank)) {
    error = "gathering the measured times failed";
    return false;
  }
  if (d != 0)
    return true;
  for (int r = 0; r < world->size(); ++r)
    for (size_t i = 0; i < stepTimes.start[r].size(); ++i) {
      stepTimes.start[r][i] = perRank[r][2 * i];
      stepTimes.end[r][i] = perRank[r][2 * i + 1];
    }
  return true;
}
