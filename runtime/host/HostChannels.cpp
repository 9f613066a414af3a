//===- HostChannels.cpp - Channels between the threads of one process -----===//
//
// Each channel holds one entry per message of a step. The receiver posts
// entry k by storing the step in it; the sender of message k waits for
// that (NCCL: a send completes only once its receive is posted), sleeps
// through its link's bandwidth window, then fills in the message (the tag
// it carries, its arrival time) and marks it delivered; the receiver waits
// for delivery and the arrival. Under EMULATE the send also copies the tag
// into the receive's slot, as the CUDA emulation copies the payload. Each
// side has exactly one worker, so each side's order is its stream's order
// and messages pair up in channel order.
//
//===----------------------------------------------------------------------===//

#include "host/HostExecutor.h"

using namespace crosspipe::rt;
using namespace crosspipe::rt::host;

namespace {

struct Entry {
  std::atomic<int32_t> posted{0}, delivered{0};
  Tag header;   ///< Written before `delivered`.
  SlotRef slot; ///< The receive's slot, written before `posted`.
  Clock::time_point arrival;
};

struct Channel {
  int32_t src = -1, dst = -1, role = 0, count = 0;
  std::unique_ptr<Entry[]> entries;
};

class InProcessTransport : public Transport {
public:
  explicit InProcessTransport(HostExecutor &executor) : x(executor) {}

  void load(const PlanIndex &index, int &kept, int &total) override {
    const crosspipe_plan &p = index.plan();
    std::vector<std::unique_ptr<Channel>> next(p.num_channels);
    kept = 0;
    total = p.num_channels;
    for (int c = 0; c < p.num_channels; ++c) {
      const crosspipe_channel &ch = p.channels[c];
      int count = index.channelMessages(c);
      // A channel of the same endpoints and message count keeps its queue.
      for (auto &old : channels)
        if (old && old->src == ch.src && old->dst == ch.dst &&
            old->role == ch.role && old->count == count) {
          next[c] = std::move(old);
          ++kept;
          break;
        }
      if (!next[c]) {
        next[c] = std::make_unique<Channel>();
        next[c]->src = ch.src;
        next[c]->dst = ch.dst;
        next[c]->role = ch.role;
        next[c]->count = count;
        next[c]->entries.reset(new Entry[count > 0 ? count : 1]);
      }
    }
    channels = std::move(next);
  }

  bool awaitPosted(Worker &self, int channel, int seq, int step) override {
    Entry &e = channels[channel]->entries[seq];
    std::unique_lock<std::mutex> lock(self.mutex);
    while (e.posted.load() < step && !x.aborting())
      self.cv.wait_for(lock, std::chrono::milliseconds(50));
    return !x.aborting();
  }

  bool deliver(Worker &self, int channel, int seq, int step, const Tag &header,
               double latencyMs) override {
    Channel &ch = *channels[channel];
    Entry &e = ch.entries[seq];
    e.header = header;
    e.arrival =
        Clock::now() +
        std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double, std::milli>(latencyMs * x.scale()));
    // EMULATE: the send copies into the receive's slot itself.
    if (x.emulating())
      x.tags(e.slot.buffer)->words[e.slot.slot].store(packTag(header));
    e.delivered.store(step);
    if (Worker *peer = receiverOf(ch))
      peer->notify();
    return !x.aborting();
  }

  bool post(Worker &self, int channel, int seq, int step,
            const SlotRef &slot) override {
    Channel &ch = *channels[channel];
    ch.entries[seq].slot = slot;
    ch.entries[seq].posted.store(step);
    if (Worker *peer = senderOf(ch))
      peer->notify();
    return !x.aborting();
  }

  bool awaitMessage(Worker &self, int channel, int seq, int step, Tag &header,
                    Clock::time_point &arrival) override {
    Entry &e = channels[channel]->entries[seq];
    {
      std::unique_lock<std::mutex> lock(self.mutex);
      while (e.delivered.load() < step && !x.aborting())
        self.cv.wait_for(lock, std::chrono::milliseconds(50));
    }
    if (x.aborting())
      return false;
    header = e.header;
    arrival = e.arrival;
    return true;
  }

  void wakeAll() override {}

private:
  Worker *senderOf(const Channel &ch) const {
    return x.worker(ch.src, ch.role == CROSSPIPE_ACT ? kSendNextStream
                                                     : kSendPrevStream);
  }
  Worker *receiverOf(const Channel &ch) const {
    return x.worker(ch.dst, ch.role == CROSSPIPE_ACT ? kRecvPrevStream
                                                     : kRecvNextStream);
  }

  HostExecutor &x;
  std::vector<std::unique_ptr<Channel>> channels;
};

} // namespace

std::unique_ptr<Transport>
crosspipe::rt::host::makeInProcessTransport(HostExecutor &executor) {
  return std::make_unique<InProcessTransport>(executor);
}
