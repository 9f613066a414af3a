//===- HostExecutor.cpp - Set-up and actions on host threads --------------===//
//
// Loading a plan (devices, completion tables, slot tags, link queues, the
// transport, a worker thread per stream with actions) and what a worker
// does with each action of its stream (the step itself is HostStep.cpp).
// An action first waits for the actions its plan's waits name, then:
//
//   F/B/D/W     checks the tags of its input and stash slots, sleeps its
//               modelled share of the block, and after its last part tags
//               its output (and F its stash, B/W the parameter gradient);
//   SEND        checks its slot's tag, waits until its receive is posted,
//               queues for its link's bandwidth window and sleeps through
//               it, then the message leaves carrying the slot's tag;
//   RECV        posts itself, waits for the data, checks the message
//               against what it expects (channel mismatch) and tags its
//               slot (EMULATE: the send copied into the slot; its tag is
//               checked), and completes after the latency on the delay
//               lane while its stream goes on;
//   collective  checks the parameter gradient's tag and sleeps its share.
//
// The first failure aborts the run: every worker wakes and stops, and the
// step reports that failure.
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

Transport::~Transport() = default;

//===----------------------------------------------------------------------===//
// Tags
//===----------------------------------------------------------------------===//

int32_t crosspipe::rt::host::tagStep(int step) {
  const int32_t period = (1 << 22) - 1;
  return 1 + (step - 1) % period;
}

uint64_t crosspipe::rt::host::packTag(const Tag &t) {
  return (uint64_t(t.role & 3) << 62) | (uint64_t(t.chunk & 0xfffff) << 42) |
         (uint64_t(t.mb & 0xfffff) << 22) | uint64_t(t.step & 0x3fffff);
}

Tag crosspipe::rt::host::unpackTag(uint64_t w) {
  Tag t;
  t.role = int32_t(w >> 62);
  t.chunk = int32_t((w >> 42) & 0xfffff);
  t.mb = int32_t((w >> 22) & 0xfffff);
  t.step = int32_t(w & 0x3fffff);
  return t;
}

//===----------------------------------------------------------------------===//
// Set-up and shutdown
//===----------------------------------------------------------------------===//

HostExecutor::HostExecutor(MpiWorld *world) : world(world) {}

HostExecutor::~HostExecutor() { close(); }

std::string HostExecutor::arrangement() const {
  if (world)
    return "mpi";
  return emulate ? "emulate" : "threads";
}

void HostExecutor::createDevices(const PlanIndex &index) {
  const crosspipe_plan &p = index.plan();
  devices.resize(p.devices);
  for (int d = 0; d < p.devices; ++d) {
    if (world && d != world->rank())
      continue;
    auto dev = std::make_unique<DeviceState>();
    dev->device = d;
    dev->count = p.programs[d].count;
    dev->completions.reset(new std::atomic<int32_t>[dev->count]);
    for (int i = 0; i < dev->count; ++i)
      dev->completions[i].store(0);
    devices[d] = std::move(dev);
  }
}

bool HostExecutor::load(const PlanIndex &index, const ExecutorConfig &runConfig,
                        std::string &error) {
  config = runConfig;
  const crosspipe_plan &p = index.plan();
  emulate = p.arrangement == CROSSPIPE_ARRANGE_EMULATE;
  if (world && emulate) {
    error = "an emulate plan plays every device in one process; run it "
            "without mpirun";
    return false;
  }
  if (world && world->size() != p.devices) {
    error = "the plan has " + std::to_string(p.devices) +
            " devices; launch one process per device (mpirun -np " +
            std::to_string(p.devices) + "), not " +
            std::to_string(world->size());
    return false;
  }
  if (world && 2 * int64_t(p.num_channels) + 2 > world->maxTag()) {
    error = "the plan's " + std::to_string(p.num_channels) +
            " channels need more MPI tags than the " +
            std::to_string(world->maxTag()) + " this MPI allows";
    return false;
  }
  plan = &index;
  createDevices(index);
  bufferTags.resize(p.num_buffers);
  for (int b = 0; b < p.num_buffers; ++b)
    if (owns(p.buffers[b].device))
      bufferTags[b] = std::make_unique<BufferTags>(p.buffers[b].slots);
  for (int l = 0; l < p.num_links; ++l)
    links.push_back(std::make_unique<Link>());
  transport =
      world ? makeMpiTransport(*this, *world) : makeInProcessTransport(*this);
  lane = std::thread([this] { laneLoop(); });
  int kept = 0, total = 0;
  transport->load(index, kept, total);
  for (auto &dev : devices) {
    if (!dev)
      continue;
    for (int s = 0; s < kNumStreams; ++s) {
      const std::vector<int32_t> &list = index.device(dev->device).streams[s];
      if (list.empty())
        continue;
      auto w = std::make_unique<Worker>();
      w->device = dev->device;
      w->stream = s;
      w->actions = list;
      dev->workers[s] = std::move(w);
      startWorker(*dev->workers[s]);
    }
  }
  return true;
}

void HostExecutor::startWorker(Worker &w) {
  ++workerCount;
  w.lastStep = goStep.load();
  w.thread = std::thread([this, &w] { workerLoop(w); });
}

void HostExecutor::stopWorkers() {
  quit.store(true);
  for (auto &dev : devices)
    if (dev)
      for (auto &w : dev->workers)
        if (w) {
          w->notify();
          if (w->thread.joinable())
            w->thread.join();
        }
  quit.store(false);
}

void HostExecutor::close() {
  if (closed)
    return;
  closed = true;
  abortFlag.store(true);
  if (transport)
    transport->wakeAll();
  stopWorkers();
  {
    std::lock_guard<std::mutex> lock(laneMutex);
    laneQuit = true;
  }
  laneCv.notify_all();
  if (lane.joinable())
    lane.join();
  transport.reset();
  devices.clear();
}

void HostExecutor::abort(const std::string &message) {
  {
    std::lock_guard<std::mutex> lock(errorMutex);
    if (firstError.empty())
      firstError = message;
  }
  abortFlag.store(true);
  for (auto &dev : devices)
    if (dev)
      for (auto &w : dev->workers)
        if (w)
          w->notify();
  if (transport)
    transport->wakeAll();
  { std::lock_guard<std::mutex> lock(mainMutex); }
  mainCv.notify_all();
}

//===----------------------------------------------------------------------===//
// Waiting
//===----------------------------------------------------------------------===//

bool HostExecutor::sleepUntil(Worker &self, Clock::time_point deadline) {
  self.sleepingUntil.store(deadline.time_since_epoch().count());
  {
    std::unique_lock<std::mutex> lock(self.mutex);
    while (!aborting() && Clock::now() < deadline)
      self.cv.wait_until(lock, deadline);
  }
  self.sleepingUntil.store(0);
  return !aborting();
}

Clock::time_point HostExecutor::reserveLink(int link, Clock::time_point ready,
                                            double ms) {
  Link &l = *links[link];
  std::lock_guard<std::mutex> lock(l.mutex);
  Clock::time_point start = std::max(ready, l.freeAt);
  l.freeAt = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double, std::milli>(ms));
  return start;
}

bool HostExecutor::awaitAction(Worker &w, int j, int step) {
  std::atomic<int32_t> &done = devices[w.device]->completions[j];
  if (done.load() >= step)
    return true;
  w.waitingFor.store(j);
  w.state.store(int(WorkerState::WaitAction));
  {
    std::unique_lock<std::mutex> lock(w.mutex);
    while (done.load() < step && !aborting())
      w.cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  w.waitingFor.store(-1);
  return !aborting();
}

void HostExecutor::complete(Worker *self, int device, int i, int step) {
  DeviceState &dev = *devices[device];
  dev.completions[i].store(step);
  progressed();
  for (auto &other : dev.workers)
    if (other && other.get() != self && other->waitingFor.load() == i)
      other->notify();
}

//===----------------------------------------------------------------------===//
// Workers and actions
//===----------------------------------------------------------------------===//

void HostExecutor::workerLoop(Worker &w) {
#ifdef __linux__
  // Timed waits are the product here: ask the kernel not to round them up.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
#endif
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(w.mutex);
      while (!quit.load() && !w.retire.load() && goStep.load() <= w.lastStep)
        w.cv.wait(lock);
    }
    if (quit.load() || w.retire.load())
      return;
    int step = goStep.load();
    w.lastStep = step;
    for (int32_t i : w.actions)
      if (aborting() || !runAction(w, i, step))
        break;
    w.at.store(-1);
    w.state.store(int(WorkerState::Done));
    finished.fetch_add(1);
    { std::lock_guard<std::mutex> lock(mainMutex); }
    mainCv.notify_all();
  }
}

bool HostExecutor::runAction(Worker &w, int i, int step) {
  w.at.store(i);
  const ActionInfo &info = plan->info(w.device, i);
  const DeviceIndex &dev = plan->device(w.device);
  for (int k = 0; k < info.numWaits; ++k)
    if (!awaitAction(w, dev.waits[info.firstWait + k], step))
      return false;
  w.state.store(int(WorkerState::Running));
  bool deferred = false;
  bool ok = isCompute(info.op) ? compute(w, i, step)
            : isSend(info.op)  ? send(w, i, step)
            : isRecv(info.op)  ? receive(w, i, step, deferred)
                               : collective(w, i, step);
  if (ok && !deferred)
    complete(&w, w.device, i, step);
  return ok;
}

namespace {
Clock::duration scaled(double ms, double scale) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, std::milli>(ms * scale));
}
} // namespace

bool HostExecutor::checkTag(Worker &w, int i, const char *what,
                            const SlotRef &slot, const Tag &expected,
                            bool ignoreMb) {
  Tag found = unpackTag(bufferTags[slot.buffer]->words[slot.slot].load());
  Tag want = expected;
  if (ignoreMb)
    want.mb = found.mb;
  if (found == want)
    return true;
  const crosspipe_plan &p = plan->plan();
  std::string wanted = ignoreMb ? std::string(roleName(want.role)) + " chunk " +
                                      std::to_string(want.chunk) +
                                      " (any mb) of step " +
                                      std::to_string(want.step)
                                : describeTag(want);
  abort("tag mismatch at " + plan->where(w.device, i) + ": " + what + " slot " +
        std::to_string(slot.slot) + " of " + p.buffers[slot.buffer].name +
        " holds " + describeTag(found) + ", expected " + wanted +
        " (a misrouted, dropped or misordered "
        "transfer, or a slot overwritten while in use)");
  return false;
}

void HostExecutor::writeTag(const SlotRef &slot, const Tag &tag) {
  bufferTags[slot.buffer]->words[slot.slot].store(packTag(tag));
}

bool HostExecutor::compute(Worker &w, int i, int step) {
  const crosspipe_action &a = plan->action(w.device, i);
  const ActionInfo &info = plan->info(w.device, i);
  int32_t s = tagStep(step);
  bool forward = a.op == CROSSPIPE_OP_F;
  int role = forward ? CROSSPIPE_ACT : CROSSPIPE_GRAD;
  if (info.input.valid() &&
      !checkTag(w, i, "input", info.input,
                {role, forward ? a.chunk - 1 : a.chunk, a.mb, s}))
    return false;
  if (!forward &&
      !checkTag(w, i, "stash", info.stash, {CROSSPIPE_STASH, a.chunk, a.mb, s}))
    return false;
  Clock::time_point start = Clock::now();
  if (!sleepUntil(w, start + scaled(info.modelMs, config.timeScale)))
    return false;
  Clock::time_point end = Clock::now();
  times->start[w.device][i] = msSinceOrigin(start);
  times->end[w.device][i] = msSinceOrigin(end);
  bool last = a.part + 1 >= (a.parts > 0 ? a.parts : 1);
  if (!last)
    return true;
  if (info.output.valid())
    writeTag(info.output, {role, forward ? a.chunk : a.chunk - 1, a.mb, s});
  if (forward)
    writeTag(info.stash, {CROSSPIPE_STASH, a.chunk, a.mb, s});
  if (info.grads.valid())
    writeTag(info.grads, {CROSSPIPE_PARAM_GRAD, a.chunk, a.mb, s});
  return true;
}

bool HostExecutor::collective(Worker &w, int i, int step) {
  const crosspipe_action &a = plan->action(w.device, i);
  const ActionInfo &info = plan->info(w.device, i);
  // A gradient reduction needs the gradient accumulated in this step (any
  // microbatch); an all-gather moves parameters, before the chunk's first
  // F, so no gradient exists yet.
  if (a.op != CROSSPIPE_OP_ALL_GATHER &&
      !checkTag(w, i, "parameter gradient", info.grads,
                {CROSSPIPE_PARAM_GRAD, a.chunk, 0, tagStep(step)},
                /*ignoreMb=*/true))
    return false;
  Clock::time_point start = Clock::now();
  if (!sleepUntil(w, start + scaled(info.modelMs, config.timeScale)))
    return false;
  times->start[w.device][i] = msSinceOrigin(start);
  times->end[w.device][i] = msSinceOrigin(Clock::now());
  return true;
}

bool HostExecutor::send(Worker &w, int i, int step) {
  const crosspipe_action &a = plan->action(w.device, i);
  const ActionInfo &info = plan->info(w.device, i);
  Tag expected{messageRole(a.op), a.chunk, a.mb, tagStep(step)};
  if (!checkTag(w, i, "message", info.input, expected))
    return false;
  w.state.store(int(WorkerState::WaitPosted));
  if (!transport->awaitPosted(w, info.channel, info.seq, step))
    return false;
  w.state.store(int(WorkerState::Running));
  double bandwidth = config.linkDelays ? info.modelMs : 0;
  double latency = config.linkDelays ? info.latencyMs : 0;
  Clock::time_point start =
      reserveLink(info.link, Clock::now(), bandwidth * config.timeScale);
  if (!sleepUntil(w, start + scaled(bandwidth, config.timeScale)))
    return false;
  times->start[w.device][i] = msSinceOrigin(start);
  times->end[w.device][i] = msSinceOrigin(Clock::now());
  // The message carries what the slot holds (checked above).
  Tag header =
      unpackTag(bufferTags[info.input.buffer]->words[info.input.slot].load());
  return transport->deliver(w, info.channel, info.seq, step, header, latency);
}

bool HostExecutor::receive(Worker &w, int i, int step, bool &deferred) {
  const crosspipe_action &a = plan->action(w.device, i);
  const ActionInfo &info = plan->info(w.device, i);
  Clock::time_point posted = Clock::now();
  if (!transport->post(w, info.channel, info.seq, step, info.input))
    return false;
  w.state.store(int(WorkerState::WaitMessage));
  Tag header;
  Clock::time_point arrival;
  if (!transport->awaitMessage(w, info.channel, info.seq, step, header,
                               arrival))
    return false;
  w.state.store(int(WorkerState::Running));
  times->start[w.device][i] = msSinceOrigin(posted);
  Tag expected{messageRole(a.op), a.chunk, a.mb, tagStep(step)};
  if (emulate ? !checkTag(w, i, "received", info.input, expected)
              : !checkHeader(w, i, header, expected))
    return false;
  if (!emulate)
    writeTag(info.input, header);
  // The data is in; the receive completes once the latency has passed, on
  // the delay lane, while this stream goes on to its next receive.
  if (Clock::now() < arrival) {
    deferred = true;
    land({arrival, w.device, i, step});
  } else {
    times->end[w.device][i] = msSinceOrigin(Clock::now());
  }
  return true;
}

bool HostExecutor::checkHeader(Worker &w, int i, const Tag &header,
                               const Tag &expected) {
  const ActionInfo &info = plan->info(w.device, i);
  if (header != expected) {
    const crosspipe_channel &ch = plan->plan().channels[info.channel];
    abort("channel mismatch at " + plan->where(w.device, i) + ": message " +
          std::to_string(info.seq) + " on channel " +
          std::to_string(info.channel) + " (" + roleName(ch.role) + " " +
          std::to_string(ch.src) + " -> " + std::to_string(ch.dst) +
          ") carries " + describeTag(header) + ", expected " +
          describeTag(expected) + " (a reordered or dropped transfer)");
    return false;
  }
  return true;
}
