//===- HostSwap.cpp - Switching the host executor to another plan ---------===//
//
// Between steps every worker is idle, so the executor can change under
// them. What the next plan shares with the current one is kept: a worker
// thread whose (device, stream) still has actions (it gets the new list),
// a device's completion table of the same size (it holds only step
// numbers of past steps), a buffer's slot tags when the buffer of the same
// (device, role, chunk) has as many slots, a link queue of the same name,
// a channel queue of the same endpoints and message count. Everything else
// is created, and workers of streams the next plan leaves empty stop.
//
//===----------------------------------------------------------------------===//

#include "host/HostExecutor.h"

#include <map>
#include <tuple>

using namespace crosspipe::rt;
using namespace crosspipe::rt::host;

namespace {
std::string fraction(const char *what, int kept, int total) {
  return std::string(what) + " " + std::to_string(kept) + " of " +
         std::to_string(total);
}
} // namespace

bool HostExecutor::swap(const PlanIndex &next, std::string &kept,
                        std::string &error) {
  const crosspipe_plan &p = next.plan(), &old = plan->plan();
  if (aborting()) {
    error = "the run has already failed";
    return false;
  }
  if (p.devices != old.devices ||
      (p.arrangement == CROSSPIPE_ARRANGE_EMULATE) != emulate) {
    error = "a swapped plan must keep the device count (" +
            std::to_string(old.devices) + ") and the arrangement (" +
            arrangementName(old.arrangement) + ")";
    return false;
  }
  if (world && 2 * int64_t(p.num_channels) + 2 > world->maxTag()) {
    error = "the plan's channels need more MPI tags than this MPI allows";
    return false;
  }

  // Buffers: the tags of a (device, role, chunk) buffer of equal slots.
  std::map<std::tuple<int, int, int>, std::unique_ptr<BufferTags>> oldTags;
  for (int b = 0; b < old.num_buffers; ++b)
    if (bufferTags[b])
      oldTags[{old.buffers[b].device, old.buffers[b].role,
               old.buffers[b].chunk}] = std::move(bufferTags[b]);
  std::vector<std::unique_ptr<BufferTags>> tags(p.num_buffers);
  int buffersKept = 0, buffersOwned = 0;
  for (int b = 0; b < p.num_buffers; ++b) {
    const crosspipe_buffer &buf = p.buffers[b];
    if (!owns(buf.device))
      continue;
    ++buffersOwned;
    auto it = oldTags.find({buf.device, buf.role, buf.chunk});
    if (it != oldTags.end() && it->second->slots == buf.slots) {
      tags[b] = std::move(it->second);
      ++buffersKept;
    } else {
      tags[b] = std::make_unique<BufferTags>(buf.slots);
    }
  }
  bufferTags = std::move(tags);

  // Links, by name.
  std::map<std::string, std::unique_ptr<Link>> oldLinks;
  for (int l = 0; l < old.num_links && l < int(links.size()); ++l)
    oldLinks[old.links[l].name] = std::move(links[l]);
  std::vector<std::unique_ptr<Link>> nextLinks;
  int linksKept = 0;
  for (int l = 0; l < p.num_links; ++l) {
    auto it = oldLinks.find(p.links[l].name);
    if (it != oldLinks.end() && it->second) {
      nextLinks.push_back(std::move(it->second));
      ++linksKept;
    } else {
      nextLinks.push_back(std::make_unique<Link>());
    }
  }
  links = std::move(nextLinks);

  int channelsKept = 0, channels = 0;
  transport->load(next, channelsKept, channels);

  // Programs and workers.
  int programsKept = 0, programs = 0, workersKept = 0, workersNow = 0;
  for (auto &dev : devices) {
    if (!dev)
      continue;
    int d = dev->device;
    ++programs;
    const crosspipe_program &np = p.programs[d], &op = old.programs[d];
    bool same = np.count == op.count;
    for (int i = 0; same && i < np.count; ++i) {
      const crosspipe_action &a = np.actions[i], &b = op.actions[i];
      same = std::tie(a.op, a.chunk, a.mb, a.slot, a.out, a.stash, a.part,
                      a.parts) == std::tie(b.op, b.chunk, b.mb, b.slot, b.out,
                                           b.stash, b.part, b.parts);
    }
    programsKept += same;
    if (dev->count != np.count) {
      dev->count = np.count;
      dev->completions.reset(new std::atomic<int32_t>[np.count]);
      for (int i = 0; i < np.count; ++i)
        dev->completions[i].store(0);
    }
    for (int s = 0; s < kNumStreams; ++s) {
      const std::vector<int32_t> &list = next.device(d).streams[s];
      std::unique_ptr<Worker> &w = dev->workers[s];
      if (w && list.empty()) {
        w->retire.store(true);
        w->notify();
        w->thread.join();
        w.reset();
        --workerCount;
      } else if (w) {
        w->actions = list;
        ++workersKept;
      } else if (!list.empty()) {
        w = std::make_unique<Worker>();
        w->device = d;
        w->stream = s;
        w->actions = list;
        startWorker(*w);
      }
      workersNow += w != nullptr;
    }
  }
  plan = &next;
  kept = fraction("threads", workersKept, workersNow) + ", " +
         fraction("programs", programsKept, programs) + ", " +
         fraction("buffers", buffersKept, buffersOwned) + ", " +
         fraction("channels", channelsKept, channels) + ", " +
         fraction("links", linksKept, p.num_links);
  return true;
}
