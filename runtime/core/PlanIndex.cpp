//===- PlanIndex.cpp - Deriving what actions touch; the modelled step -----===//
//
// Builds the PlanIndex of a checked plan (see PlanIndex.h) and simulates
// one step of the plan under the performance model with the executors'
// semantics: each stream runs its actions in order, an action starts once
// its stream is free and the actions it waits for have ended, a send
// starts once its receive is posted and then queues on its link behind
// earlier sends (FIFO by the time they became ready) for its bandwidth
// window, and its receive ends a latency later. The latency runs on a delay
// lane, as on a real link: the receiving stream may post its next receive
// as soon as the window has ended, so back-to-back messages overlap their
// latencies. Event-driven over a heap
// of ready stream heads, so it is O(n log n) in the plan's actions.
//
//===----------------------------------------------------------------------===//

#include "PlanIndex.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <unordered_map>

using namespace crosspipe::rt;

const char *crosspipe::rt::streamName(int stream) {
  static const char *const kNames[kNumStreams] = {
      "compute", "send-next", "recv-next", "send-prev", "recv-prev", "dp"};
  return stream >= 0 && stream < kNumStreams ? kNames[stream] : "none";
}

int crosspipe::rt::streamOf(int op) {
  switch (op) {
  case CROSSPIPE_OP_SEND_ACT:
    return kSendNextStream;
  case CROSSPIPE_OP_RECV_ACT:
    return kRecvPrevStream;
  case CROSSPIPE_OP_SEND_GRAD:
    return kSendPrevStream;
  case CROSSPIPE_OP_RECV_GRAD:
    return kRecvNextStream;
  case CROSSPIPE_OP_ALLREDUCE:
  case CROSSPIPE_OP_REDUCE_SCATTER:
  case CROSSPIPE_OP_ALL_GATHER:
    return kDpStream;
  case CROSSPIPE_OP_WAIT:
    return -1;
  }
  return kComputeStream;
}

std::string crosspipe::rt::describeTag(const Tag &tag) {
  if (tag.step == 0)
    return "no tag (never written)";
  const char *role = roleName(tag.role);
  bool message = tag.role == CROSSPIPE_ACT || tag.role == CROSSPIPE_GRAD;
  return std::string(role ? role : "?") + (message ? " boundary " : " chunk ") +
         std::to_string(tag.chunk) + " mb " + std::to_string(tag.mb) +
         " of step " + std::to_string(tag.step);
}

namespace {
uint64_t key(int device, int role, int chunk) {
  return (uint64_t(uint32_t(device)) << 32) | (uint64_t(role & 3) << 30) |
         uint64_t(uint32_t(chunk) & 0x3fffffffu);
}
} // namespace

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

/// Buffers and channels by what names them, and the messages counted so
/// far on each channel.
struct PlanIndex::Lookup {
  std::unordered_map<uint64_t, int> bufferOf, channelOf;
  std::vector<int> sendSeq, recvSeq;
};

PlanIndex::PlanIndex(const crosspipe_plan &plan)
    : p(plan), devs(plan.devices), messages(plan.num_channels, 0) {
  Lookup lookup;
  for (int b = 0; b < p.num_buffers; ++b)
    lookup.bufferOf[key(p.buffers[b].device, p.buffers[b].role,
                        p.buffers[b].chunk)] = b;
  for (int c = 0; c < p.num_channels; ++c)
    lookup.channelOf[key(p.channels[c].src, p.channels[c].role,
                         p.channels[c].dst)] = c;
  lookup.sendSeq.assign(p.num_channels, 0);
  lookup.recvSeq.assign(p.num_channels, 0);
  for (int d = 0; d < p.devices; ++d)
    indexDevice(d, lookup);
  simulate();
}

std::string PlanIndex::where(int d, int i) const {
  return "device " + std::to_string(d) + ": " + describeAction(action(d, i)) +
         " (action " + std::to_string(i) + ")";
}

void PlanIndex::indexDevice(int d, Lookup &lookup) {
  std::unordered_map<uint64_t, int> &bufferOf = lookup.bufferOf;
  std::unordered_map<uint64_t, int> &channelOf = lookup.channelOf;
  std::vector<int> &sendSeq = lookup.sendSeq, &recvSeq = lookup.recvSeq;
  auto slot = [&](int role, int chunk, int32_t s) {
    auto it = bufferOf.find(key(d, role, chunk));
    return it == bufferOf.end() ? SlotRef() : SlotRef{it->second, s};
  };

  const crosspipe_program &prog = p.programs[d];
  DeviceIndex &dev = devs[d];
  dev.actions.resize(prog.count);
  std::vector<int32_t> pending;
  int last = p.chunks - 1;
  for (int i = 0; i < prog.count; ++i) {
    const crosspipe_action &a = prog.actions[i];
    ActionInfo &info = dev.actions[i];
    info.op = a.op;
    info.stream = streamOf(a.op);
    ++total;
    if (a.op == CROSSPIPE_OP_WAIT) {
      pending.push_back(a.chunk);
      continue;
    }
    info.firstWait = int32_t(dev.waits.size());
    info.numWaits = int32_t(pending.size());
    dev.waits.insert(dev.waits.end(), pending.begin(), pending.end());
    pending.clear();
    dev.streams[info.stream].push_back(i);
    const crosspipe_chunk &chunk = p.chunk_table[a.chunk];
    if (isCompute(a.op)) {
      ++blocks;
      int c = a.chunk;
      bool f = a.op == CROSSPIPE_OP_F, w = a.op == CROSSPIPE_OP_W;
      if (f ? c > 0 : !w && c < last)
        info.input =
            slot(f ? CROSSPIPE_ACT : CROSSPIPE_GRAD, f ? c - 1 : c, a.slot);
      if (f ? c < last : !w && c > 0)
        info.output =
            slot(f ? CROSSPIPE_ACT : CROSSPIPE_GRAD, f ? c : c - 1, a.out);
      info.stash = slot(CROSSPIPE_STASH, c, a.stash);
      if (a.op == CROSSPIPE_OP_B || w)
        info.grads = slot(CROSSPIPE_PARAM_GRAD, c, 0);
      double ms = a.op == CROSSPIPE_OP_F   ? chunk.forward_ms
                  : a.op == CROSSPIPE_OP_B ? chunk.backward_ms
                  : a.op == CROSSPIPE_OP_D ? chunk.dgrad_ms
                                           : chunk.wgrad_ms;
      info.modelMs = ms / (a.parts > 0 ? a.parts : 1);
    } else if (isMessage(a.op)) {
      int role = messageRole(a.op);
      int lower = p.chunk_table[a.chunk].device;
      int upper = p.chunk_table[a.chunk + 1].device;
      int src = role == CROSSPIPE_ACT ? lower : upper;
      int dst = role == CROSSPIPE_ACT ? upper : lower;
      info.input = slot(role, a.chunk, a.slot);
      info.channel = channelOf.at(key(src, role, dst));
      info.peer = isSend(a.op) ? dst : src;
      const crosspipe_channel &ch = p.channels[info.channel];
      info.link = ch.link;
      info.bytes = p.buffers[info.input.buffer].bytes;
      info.seq =
          isSend(a.op) ? sendSeq[info.channel]++ : recvSeq[info.channel]++;
      int &count = messages[info.channel];
      count = std::max(count, info.seq + 1);
      info.modelMs =
          ch.gbps > 0 ? double(info.bytes) * 8.0 / (ch.gbps * 1e9) * 1e3 : 0;
      info.latencyMs = ch.latency_ms;
    } else {
      info.grads = slot(CROSSPIPE_PARAM_GRAD, a.chunk, 0);
      double share = a.op == CROSSPIPE_OP_ALLREDUCE ? 1.0 : 0.5;
      info.modelMs = chunk.allreduce_ms * share / (a.slot > 0 ? a.slot : 1);
    }
  }
}

//===----------------------------------------------------------------------===//
// The modelled step
//===----------------------------------------------------------------------===//

namespace {

/// One step of a plan, simulated (see the file comment).
class Simulation {
public:
  Simulation(const PlanIndex &index, ModelTimeline &out)
      : x(index), out(out), devices(index.devices()) {
    const crosspipe_plan &p = x.plan();
    out.start.resize(devices);
    out.end.resize(devices);
    done.resize(devices);
    for (int d = 0; d < devices; ++d) {
      int n = p.programs[d].count;
      out.start[d].assign(n, 0);
      out.end[d].assign(n, 0);
      done[d].assign(n, 0);
    }
    heads.assign(size_t(devices) * kNumStreams, Head());
    linkFree.assign(p.num_links, 0);
    for (int c = 0; c < p.num_channels; ++c) {
      posted.emplace_back(x.channelMessages(c), -1.0);
      arrival.emplace_back(x.channelMessages(c), -1.0);
      windowEnd.emplace_back(x.channelMessages(c), -1.0);
      receiver.emplace_back(x.channelMessages(c), -1);
    }
  }

  void run() {
    for (int d = 0; d < devices; ++d)
      for (int s = 0; s < kNumStreams; ++s)
        consider(d, s);
    while (!heap.empty()) {
      Ready r = heap.top();
      heap.pop();
      process(r);
    }
    for (int d = 0; d < devices; ++d)
      for (int s = 0; s < kNumStreams; ++s) {
        const std::vector<int32_t> &list = x.device(d).streams[s];
        const Head &h = head(d, s);
        if (h.pos < list.size()) {
          out.ok = false;
          out.error =
              "the plan deadlocks under the model: " + x.where(d, list[h.pos]) +
              " on the " + streamName(s) + " stream never starts";
          return;
        }
      }
    out.ok = true;
    out.makespanMs = makespanOf(x, out.start, out.end);
  }

private:
  struct Head {
    size_t pos = 0;
    double free = 0;
    bool queued = false, posted = false;
  };
  struct Ready {
    double time;
    int device, stream;
    bool operator<(const Ready &o) const {
      if (time != o.time)
        return time > o.time; // a min-heap
      if (device != o.device)
        return device > o.device;
      return stream > o.stream;
    }
  };

  Head &head(int d, int s) { return heads[size_t(d) * kNumStreams + s]; }

  /// Queues stream s of device d if its head action can start.
  void consider(int d, int s) {
    Head &h = head(d, s);
    const std::vector<int32_t> &list = x.device(d).streams[s];
    if (h.queued || h.posted || h.pos >= list.size())
      return;
    int i = list[h.pos];
    const ActionInfo &info = x.info(d, i);
    double ready = h.free;
    const DeviceIndex &dev = x.device(d);
    for (int w = 0; w < info.numWaits; ++w) {
      int j = dev.waits[info.firstWait + w];
      if (!done[d][j])
        return;
      ready = std::max(ready, out.end[d][j]);
    }
    if (isSend(info.op)) {
      if (info.seq >= int(posted[info.channel].size()) ||
          posted[info.channel][info.seq] < 0)
        return;
      ready = std::max(ready, posted[info.channel][info.seq]);
    }
    h.queued = true;
    heap.push({ready, d, s});
  }

  /// Ends action i of device d; its stream is free from `free` on (a
  /// receive's stream is free once the bandwidth window ends, its latency
  /// runs on a delay lane).
  void finish(int d, int i, double start, double end, double free) {
    out.start[d][i] = start;
    out.end[d][i] = end;
    done[d][i] = 1;
    Head &h = head(d, x.info(d, i).stream);
    h.free = free;
    h.posted = false;
    ++h.pos;
    for (int s = 0; s < kNumStreams; ++s)
      consider(d, s);
  }

  void process(const Ready &r) {
    Head &h = head(r.device, r.stream);
    h.queued = false;
    int i = x.device(r.device).streams[r.stream][h.pos];
    const ActionInfo &info = x.info(r.device, i);
    if (isSend(info.op)) {
      double &free = linkFree[info.link];
      double start = std::max(r.time, free);
      free = start + info.modelMs;
      windowEnd[info.channel][info.seq] = free;
      arrival[info.channel][info.seq] = free + info.latencyMs;
      finish(r.device, i, start, free, free);
      completeReceive(info.channel, info.seq);
      return;
    }
    if (isRecv(info.op)) {
      out.start[r.device][i] = r.time;
      h.posted = true;
      if (info.seq < int(posted[info.channel].size())) {
        posted[info.channel][info.seq] = r.time;
        receiver[info.channel][info.seq] = i;
      }
      completeReceive(info.channel, info.seq);
      // The sender may have been waiting for this receive.
      consider(info.peer, streamOf(info.op == CROSSPIPE_OP_RECV_ACT
                                       ? CROSSPIPE_OP_SEND_ACT
                                       : CROSSPIPE_OP_SEND_GRAD));
      return;
    }
    finish(r.device, i, r.time, r.time + info.modelMs, r.time + info.modelMs);
  }

  /// Ends a posted receive whose send has gone.
  void completeReceive(int channel, int seq) {
    if (seq >= int(posted[channel].size()) || posted[channel][seq] < 0 ||
        arrival[channel][seq] < 0 || receiver[channel][seq] < 0)
      return;
    int i = receiver[channel][seq];
    int d = x.plan().channels[channel].dst;
    if (done[d][i])
      return;
    double start = posted[channel][seq];
    finish(d, i, start, std::max(start, arrival[channel][seq]),
           std::max(start, windowEnd[channel][seq]));
  }

  const PlanIndex &x;
  ModelTimeline &out;
  int devices;
  std::vector<std::vector<char>> done;
  std::vector<Head> heads;
  std::vector<double> linkFree;
  std::vector<std::vector<double>> posted, arrival, windowEnd;
  std::vector<std::vector<int>> receiver;
  std::priority_queue<Ready> heap;
};

} // namespace

void PlanIndex::simulate() { Simulation(*this, timeline).run(); }

double crosspipe::rt::makespanOf(const PlanIndex &index,
                                 const std::vector<std::vector<double>> &start,
                                 const std::vector<std::vector<double>> &end) {
  double origin = INFINITY, last = 0;
  for (int d = 0; d < index.devices(); ++d) {
    const crosspipe_program &prog = index.plan().programs[d];
    for (int i = 0; i < prog.count; ++i) {
      int op = prog.actions[i].op;
      if (!isCompute(op) && !isCollective(op))
        continue;
      if (std::isnan(end[d][i]))
        continue;
      if (d == 0 && op == CROSSPIPE_OP_F)
        origin = std::min(origin, start[d][i]);
      last = std::max(last, end[d][i]);
    }
  }
  return origin == INFINITY ? last : last - origin;
}

std::vector<std::string>
crosspipe::rt::linksWithSeveralSenders(const crosspipe_plan &p) {
  std::vector<std::vector<int>> senders(p.num_links);
  for (int c = 0; c < p.num_channels; ++c) {
    std::vector<int> &s = senders[p.channels[c].link];
    if (std::find(s.begin(), s.end(), p.channels[c].src) == s.end())
      s.push_back(p.channels[c].src);
  }
  std::vector<std::string> shared;
  for (int l = 0; l < p.num_links; ++l) {
    if (senders[l].size() < 2)
      continue;
    std::sort(senders[l].begin(), senders[l].end());
    std::string text = std::string("link ") + p.links[l].name + " (devices ";
    for (size_t k = 0; k < senders[l].size(); ++k)
      text += (k ? ", " : "") + std::to_string(senders[l][k]);
    shared.push_back(text + ")");
  }
  return shared;
}
