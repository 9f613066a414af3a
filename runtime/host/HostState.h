//===- HostState.h - The host executor's shared state -----------*- C++ -*-===//
//
// The host executor runs each stream of each device it owns on a thread of
// its own (a Worker), in the program order of that stream. Completion of an
// action is the step number stored in its slot of the device's completion
// table; a wait is a worker blocking until that number reaches the current
// step. Every buffer slot has a tag packed in one atomic word, written by
// producers and checked by consumers. Messages go through a Transport:
// between threads of this process (InProcessTransport, HostChannels.cpp)
// or between processes over MPI (MpiTransport.cpp), both with NCCL's
// semantics: a send starts only once its receive is posted, and messages of
// a channel pair up in order. Private to runtime/host/.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_HOST_HOSTSTATE_H
#define CROSSPIPE_RUNTIME_HOST_HOSTSTATE_H

#include "core/Executor.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace crosspipe {
namespace rt {
namespace host {

using Clock = std::chrono::steady_clock;

/// Tags packed in 64 bits: role (2), chunk (20), mb (20), step (22; steps
/// wrap within [1, 2^22 - 1] so that 0 stays "never written").
uint64_t packTag(const Tag &tag);
Tag unpackTag(uint64_t word);
int32_t tagStep(int step);

/// What a worker is doing, for the watchdog's report.
enum class WorkerState : int {
  Idle,        ///< Waiting for the next step.
  Running,     ///< In a timed wait (a block, a bandwidth window, latency).
  WaitAction,  ///< Waiting for an earlier action (`waitingFor`).
  WaitPosted,  ///< A send waiting for its receive to be posted.
  WaitMessage, ///< A receive waiting for its message.
  Done         ///< Finished the step.
};

class HostExecutor;

/// One stream of one device, on a thread.
struct Worker {
  int device = 0, stream = 0;
  /// The stream's actions (indices into the device's program).
  std::vector<int32_t> actions;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  /// The step this worker last ran.
  int lastStep = 0;
  /// Set when a swapped-in plan leaves this stream empty: the thread ends.
  std::atomic<bool> retire{false};
  std::atomic<int> state{int(WorkerState::Idle)};
  std::atomic<int> at{-1};         ///< The action it is at.
  std::atomic<int> waitingFor{-1}; ///< WaitAction: the action waited for.
  /// While in a timed wait: its deadline (Clock ticks), else 0.
  std::atomic<int64_t> sleepingUntil{0};

  /// Wakes the worker if it sleeps on its condition variable.
  void notify() {
    { std::lock_guard<std::mutex> lock(mutex); }
    cv.notify_all();
  }
};

/// A device this process runs: its completions and its workers.
struct DeviceState {
  int device = 0;
  /// The step in which each action last completed.
  std::unique_ptr<std::atomic<int32_t>[]> completions;
  int count = 0;
  std::unique_ptr<Worker> workers[kNumStreams];
};

/// The tag words of one buffer's slots.
struct BufferTags {
  int32_t slots = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> words;
  explicit BufferTags(int32_t slots)
      : slots(slots), words(new std::atomic<uint64_t>[slots]) {
    for (int32_t i = 0; i < slots; ++i)
      words[i].store(0);
  }
};

/// How messages move. Every call may block; each returns false when the
/// run aborts (the executor then reports the first error).
class Transport {
public:
  virtual ~Transport();
  /// Sender: waits until receive `seq` of `channel` is posted in `step`.
  virtual bool awaitPosted(Worker &self, int channel, int seq, int step) = 0;
  /// Sender, after the bandwidth window: the message leaves, carrying the
  /// tag of the sender's slot; it arrives `latencyMs` (scaled) later.
  virtual bool deliver(Worker &self, int channel, int seq, int step,
                       const Tag &header, double latencyMs) = 0;
  /// Receiver: posts receive `seq` of `channel` for `step` into `slot`
  /// (where an EMULATE send copies its message).
  virtual bool post(Worker &self, int channel, int seq, int step,
                    const SlotRef &slot) = 0;
  /// Receiver: waits for the message; returns its tag and arrival time.
  virtual bool awaitMessage(Worker &self, int channel, int seq, int step,
                            Tag &header, Clock::time_point &arrival) = 0;
  /// Prepares channel queues for `index`, keeping those that match.
  virtual void load(const PlanIndex &index, int &kept, int &total) = 0;
  /// Wakes every blocked call (abort).
  virtual void wakeAll() = 0;
};

/// In-process channels (NCCL arrangement as threads, or EMULATE).
std::unique_ptr<Transport> makeInProcessTransport(HostExecutor &executor);

} // namespace host
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_HOST_HOSTSTATE_H
