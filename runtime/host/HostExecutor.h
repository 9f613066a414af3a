//===- HostExecutor.h - Running a plan on host threads ----------*- C++ -*-===//
//
// The host executor (HostExecutor.cpp: set-up and actions; HostStep.cpp:
// steps, the delay lane and the watchdog; HostSwap.cpp: swaps): the Executor of
// runtime/core over worker threads, with compute blocks, collectives, bandwidth
// windows and latencies as timed waits at the run's time scale, link queues
// shared by every channel on a link, tags on every slot, and a watchdog that
// turns a stalled step into an error naming what each stream waits for. In one
// process it runs every device (as separate devices joined by in-process
// channels, or, for an EMULATE plan, one process playing every device with
// sends copying into their receives' slots); under MPI it runs this rank's
// device.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_HOST_HOSTEXECUTOR_H
#define CROSSPIPE_RUNTIME_HOST_HOSTEXECUTOR_H

#include "host/HostState.h"
#include "host/MpiWorld.h"

namespace crosspipe {
namespace rt {
namespace host {

class HostExecutor : public Executor {
public:
  /// `world`: the MPI world when launched one process per device, else
  /// nullptr (every device in this process).
  explicit HostExecutor(MpiWorld *world);
  ~HostExecutor() override;

  bool load(const PlanIndex &index, const ExecutorConfig &config,
            std::string &error) override;
  bool swap(const PlanIndex &next, std::string &kept,
            std::string &error) override;
  bool runStep(int step, StepTimes &times, std::string &error) override;
  bool gather(StepTimes &times, std::string &error) override;
  bool reports() const override { return !world || world->rank() == 0; }
  bool agree(bool ok) override { return world ? world->agree(ok) : ok; }
  std::string arrangement() const override;
  std::string backend() const override { return "host"; }
  void close() override;

  //===--- For workers and transports -----------------------------------===//

  const PlanIndex &index() const { return *plan; }
  bool emulating() const { return emulate; }
  double scale() const { return config.timeScale; }
  bool linkDelays() const { return config.linkDelays; }
  bool owns(int device) const { return devices[device] != nullptr; }
  Worker *worker(int device, int stream) const {
    DeviceState *d = devices[device].get();
    return d ? d->workers[stream].get() : nullptr;
  }
  BufferTags *tags(int buffer) const { return bufferTags[buffer].get(); }

  bool aborting() const { return abortFlag.load(); }
  /// Stops the run with `message` (the first one wins) and wakes everyone.
  void abort(const std::string &message);
  /// Sleeps until `deadline` unless the run aborts (then false).
  bool sleepUntil(Worker &self, Clock::time_point deadline);
  /// Reserves the link's next bandwidth window of `ms` (scaled) from
  /// `ready` on; returns its start.
  Clock::time_point reserveLink(int link, Clock::time_point ready, double ms);
  /// Counts progress for the watchdog.
  void progressed() { progress.fetch_add(1); }
  double msSinceOrigin(Clock::time_point t) const {
    return std::chrono::duration<double, std::milli>(t - origin).count();
  }

private:
  struct Link {
    std::mutex mutex;
    Clock::time_point freeAt;
  };
  /// A receive whose message is in flight: it completes at `at`.
  struct Landing {
    Clock::time_point at;
    int device, action, step;
    bool operator>(const Landing &o) const { return at > o.at; }
  };

  void startWorker(Worker &w);
  void workerLoop(Worker &w);
  bool runAction(Worker &w, int i, int step);
  bool awaitAction(Worker &w, int j, int step);
  void complete(Worker *self, int device, int i, int step);
  void laneLoop();
  void land(const Landing &landing);
  bool compute(Worker &w, int i, int step);
  bool send(Worker &w, int i, int step);
  bool receive(Worker &w, int i, int step, bool &deferred);
  bool collective(Worker &w, int i, int step);
  bool checkHeader(Worker &w, int i, const Tag &header, const Tag &expected);
  bool checkTag(Worker &w, int i, const char *what, const SlotRef &slot,
                const Tag &expected, bool ignoreMb = false);
  void writeTag(const SlotRef &slot, const Tag &tag);
  bool waitForWorkers(int step);
  std::string stallReport(int step, double seconds) const;
  void createDevices(const PlanIndex &index);
  void stopWorkers();

  ExecutorConfig config;
  MpiWorld *world;
  const PlanIndex *plan = nullptr;
  bool emulate = false;
  std::vector<std::unique_ptr<DeviceState>> devices;
  std::vector<std::unique_ptr<BufferTags>> bufferTags;
  std::vector<std::unique_ptr<Link>> links;
  std::unique_ptr<Transport> transport;
  int workerCount = 0;

  /// Step control: workers run step `goStep` once it exceeds their last.
  std::atomic<int> goStep{0};
  std::atomic<bool> quit{false};
  std::mutex mainMutex;
  std::condition_variable mainCv;
  std::atomic<int> finished{0};
  StepTimes *times = nullptr;
  Clock::time_point origin;

  std::atomic<bool> abortFlag{false};
  std::mutex errorMutex;
  std::string firstError;
  std::atomic<int64_t> progress{0};
  bool closed = false;

  /// The delay lane: receives complete here once their latency has passed,
  /// while their streams go on (back-to-back messages overlap latencies).
  std::thread lane;
  std::mutex laneMutex;
  std::condition_variable laneCv;
  std::vector<Landing> landings; ///< A min-heap on `at`.
  std::atomic<int> inFlight{0};
  bool laneQuit = false;

  friend class SwapBuilder;
};

} // namespace host
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_HOST_HOSTEXECUTOR_H
