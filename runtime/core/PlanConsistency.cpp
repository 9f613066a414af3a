//===- PlanConsistency.cpp - A plan's parts agree with each other ---------===//
//
// The CheckLevel::Full half of crosspipe_plan_check, run on a plan whose
// structure (every index, buffer, slot and channel) has been checked: each
// channel's sends and receives pair up in order with the same boundary and
// microbatch, every block (F, then B or D and W, all parts, in order, F
// before B/D before W on its device) and every message occurs exactly
// once, and each DP collective set of a chunk holds each bucket once.
// Linear in the plan's size; every scan over chunks x microbatches is
// bounded by the action count first.
//
//===----------------------------------------------------------------------===//

#include "PlanInternal.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

using namespace crosspipe::rt;

namespace {

std::string str(int64_t value) { return std::to_string(value); }

/// (kind, chunk, mb) of a block, or (role, boundary, mb) of a message.
uint64_t itemKey(int kind, int chunk, int mb) {
  return (uint64_t(kind & 15) << 60) | (uint64_t(uint32_t(chunk)) << 30) |
         uint64_t(uint32_t(mb));
}
uint64_t channelKey(int src, int dst, int role) {
  return (uint64_t(uint32_t(src)) << 32) | (uint64_t(role & 3) << 30) |
         uint64_t(uint32_t(dst) & 0x3fffffffu);
}

class Consistency {
public:
  Consistency(const crosspipe_plan &plan, int64_t totalActions,
              PlanFault &fault)
      : p(plan), totalActions(totalActions), fault(fault) {
    for (int c = 0; c < p.num_channels; ++c)
      channelOf[channelKey(p.channels[c].src, p.channels[c].dst,
                           p.channels[c].role)] = c;
  }

  bool run() { return consistency(); }

private:
  bool fail(PlanFault::Kind kind, int64_t index, const std::string &message,
            int64_t action = -1) {
    return setFault(p, kind, index, message, action, fault);
  }
  bool failPlan(const std::string &message) {
    return fail(PlanFault::Plan, 0, message);
  }
  bool failAction(const std::string &message) {
    return fail(PlanFault::Action, device, message, actionIndex);
  }
  /// Progress of one block (kind, chunk, mb): its part count and the next
  /// part expected.
  struct BlockState {
    int32_t parts = 0, next = 0;
  };
  /// A message as one side of a channel sees it.
  struct Message {
    int32_t boundary, mb, device, action;
  };

  bool consistency() {
    int64_t blocks = int64_t(p.chunks) * p.microbatches;
    // Every (chunk, mb) needs at least an F, so this bounds the scans below.
    if (blocks > totalActions)
      return failPlan("the programs hold " + str(totalActions) +
                      " actions, fewer than the " + str(blocks) +
                      " forward blocks of " + str(p.chunks) + " chunks x " +
                      str(p.microbatches) + " microbatches");
    std::unordered_map<uint64_t, BlockState> state;
    std::vector<std::vector<Message>> sends(p.num_channels),
        recvs(p.num_channels);
    std::unordered_set<uint64_t> messages;
    std::unordered_map<uint64_t, std::vector<char>> buckets;
    for (device = 0; device < p.devices; ++device) {
      const crosspipe_program &prog = p.programs[device];
      for (actionIndex = 0; actionIndex < prog.count; ++actionIndex) {
        const crosspipe_action &a = prog.actions[actionIndex];
        bool ok = true;
        if (isCompute(a.op))
          ok = blockOrder(a, state);
        else if (isMessage(a.op))
          ok = recordMessage(a, sends, recvs, messages);
        else if (isCollective(a.op))
          ok = recordBucket(a, buckets);
        if (!ok)
          return false;
      }
    }
    actionIndex = -1;
    return channelsMatch(sends, recvs) && blocksComplete(state) &&
           messagesComplete(messages) && bucketsComplete(buckets);
  }

  bool blockOrder(const crosspipe_action &a,
                  std::unordered_map<uint64_t, BlockState> &state) {
    int parts = a.parts ? a.parts : 1;
    BlockState &s = state[itemKey(a.op, a.chunk, a.mb)];
    if (s.next == 0 && s.parts == 0)
      s.parts = parts;
    if (s.parts != parts)
      return failAction("parts " + str(parts) +
                        " differs from the block's earlier parts " +
                        str(s.parts));
    if (s.next >= s.parts)
      return failAction("the block occurs twice");
    if (a.part != s.next)
      return failAction("part " + str(a.part) + " out of order: part " +
                        str(s.next) + " comes first");
    if (a.part == 0 && a.op != CROSSPIPE_OP_F) {
      // B and D need their F, W its D, all done earlier on this device.
      int before = a.op == CROSSPIPE_OP_W ? CROSSPIPE_OP_D : CROSSPIPE_OP_F;
      auto it = state.find(itemKey(before, a.chunk, a.mb));
      if (it == state.end() || it->second.next < it->second.parts)
        return failAction(std::string("runs before ") + opName(before) +
                          " chunk " + str(a.chunk) + " mb " + str(a.mb) +
                          " has completed on this device");
      int other = a.op == CROSSPIPE_OP_B ? CROSSPIPE_OP_D : CROSSPIPE_OP_B;
      if (a.op != CROSSPIPE_OP_W && state.count(itemKey(other, a.chunk, a.mb)))
        return failAction("the block has both B and D");
    }
    ++s.next;
    return true;
  }

  bool recordMessage(const crosspipe_action &a,
                     std::vector<std::vector<Message>> &sends,
                     std::vector<std::vector<Message>> &recvs,
                     std::unordered_set<uint64_t> &messages) {
    int role = messageRole(a.op);
    int lower = p.chunk_table[a.chunk].device;
    int upper = p.chunk_table[a.chunk + 1].device;
    int src = role == CROSSPIPE_ACT ? lower : upper;
    int dst = role == CROSSPIPE_ACT ? upper : lower;
    int channel = channelOf[channelKey(src, dst, role)];
    bool send = isSend(a.op);
    // One key per (send or receive, role, boundary, mb).
    if (!messages.insert(itemKey(a.op, a.chunk, a.mb)).second)
      return failAction(std::string("the message is ") +
                        (send ? "sent" : "received") + " twice");
    (send ? sends : recvs)[channel].push_back(
        {a.chunk, a.mb, device, int32_t(actionIndex)});
    return true;
  }

  bool recordBucket(const crosspipe_action &a,
                    std::unordered_map<uint64_t, std::vector<char>> &buckets) {
    int count = a.slot ? a.slot : 1;
    std::vector<char> &seen = buckets[itemKey(a.op, a.chunk, 0)];
    if (seen.empty())
      seen.assign(count, 0);
    if (int(seen.size()) != count)
      return failAction("bucket count " + str(count) +
                        " differs from the chunk's earlier " +
                        str(seen.size()));
    if (seen[a.mb])
      return failAction("the bucket occurs twice");
    seen[a.mb] = 1;
    return true;
  }

  bool channelsMatch(const std::vector<std::vector<Message>> &sends,
                     const std::vector<std::vector<Message>> &recvs) {
    for (int c = 0; c < p.num_channels; ++c) {
      const crosspipe_channel &ch = p.channels[c];
      const char *role = roleName(ch.role);
      size_t n = std::min(sends[c].size(), recvs[c].size());
      for (size_t i = 0; i < n; ++i) {
        const Message &s = sends[c][i], &r = recvs[c][i];
        if (s.boundary != r.boundary || s.mb != r.mb)
          return fail(PlanFault::Action, r.device,
                      std::string("receive ") + str(i) + " on channel " +
                          str(c) + " (" + role + " " + str(ch.src) + " -> " +
                          str(ch.dst) + ") expects boundary " +
                          str(r.boundary) + " mb " + str(r.mb) + ", but send " +
                          str(i) + " (device " + str(s.device) + " action " +
                          str(s.action) + ") carries boundary " +
                          str(s.boundary) + " mb " + str(s.mb),
                      r.action);
      }
      if (sends[c].size() != recvs[c].size()) {
        bool moreSends = sends[c].size() > recvs[c].size();
        const Message &extra = moreSends ? sends[c][n] : recvs[c][n];
        return fail(PlanFault::Action, extra.device,
                    std::string(moreSends ? "send " : "receive ") + str(n) +
                        " on channel " + str(c) + " (" + role + " " +
                        str(ch.src) + " -> " + str(ch.dst) + ", boundary " +
                        str(extra.boundary) + " mb " + str(extra.mb) +
                        ") has no matching " + (moreSends ? "receive" : "send"),
                    extra.action);
      }
    }
    return true;
  }

  bool blocksComplete(const std::unordered_map<uint64_t, BlockState> &state) {
    auto find = [&](int op, int c, int m) -> const BlockState * {
      auto it = state.find(itemKey(op, c, m));
      return it == state.end() ? nullptr : &it->second;
    };
    for (int c = 0; c < p.chunks; ++c)
      for (int m = 0; m < p.microbatches; ++m) {
        std::string block = " chunk " + str(c) + " mb " + str(m);
        int device = p.chunk_table[c].device;
        auto missing = [&](const char *what) {
          return fail(PlanFault::Program, device,
                      std::string("never runs ") + what + block);
        };
        const BlockState *f = find(CROSSPIPE_OP_F, c, m);
        const BlockState *b = find(CROSSPIPE_OP_B, c, m);
        const BlockState *d = find(CROSSPIPE_OP_D, c, m);
        const BlockState *w = find(CROSSPIPE_OP_W, c, m);
        if (!f)
          return missing("F");
        if (!b && !d)
          return missing("B (or D and W)");
        if (d && !w)
          return missing("W");
        if (w && !d)
          return missing("D");
        for (const BlockState *s : {f, b, d, w})
          if (s && s->next < s->parts)
            return fail(PlanFault::Program, device,
                        "runs only " + str(s->next) + " of " + str(s->parts) +
                            " parts of a block of" + block);
      }
    return true;
  }

  bool messagesComplete(const std::unordered_set<uint64_t> &messages) {
    for (int b = 0; b + 1 < p.chunks; ++b) {
      int lower = p.chunk_table[b].device, upper = p.chunk_table[b + 1].device;
      if (lower == upper)
        continue;
      const struct {
        int op, device;
      } sides[] = {{CROSSPIPE_OP_SEND_ACT, lower},
                   {CROSSPIPE_OP_RECV_ACT, upper},
                   {CROSSPIPE_OP_SEND_GRAD, upper},
                   {CROSSPIPE_OP_RECV_GRAD, lower}};
      for (int m = 0; m < p.microbatches; ++m)
        for (const auto &side : sides)
          if (!messages.count(itemKey(side.op, b, m)))
            return fail(PlanFault::Program, side.device,
                        std::string("never runs ") + opName(side.op) +
                            " boundary " + str(b) + " mb " + str(m));
    }
    return true;
  }

  bool bucketsComplete(
      const std::unordered_map<uint64_t, std::vector<char>> &buckets) {
    for (const auto &entry : buckets)
      for (size_t i = 0; i < entry.second.size(); ++i)
        if (!entry.second[i]) {
          int op = int(entry.first >> 60);
          int chunk = int((entry.first >> 30) & 0x3fffffffu);
          int device = p.chunk_table[chunk].device;
          return fail(PlanFault::Program, device,
                      std::string("never runs ") + opName(op) + " chunk " +
                          str(chunk) + " bucket " + str(i) + " of " +
                          str(entry.second.size()));
        }
    return true;
  }

  const crosspipe_plan &p;
  int64_t totalActions;
  PlanFault &fault;
  std::unordered_map<uint64_t, int> channelOf;
  int device = 0;
  int64_t actionIndex = -1;
};

} // namespace

bool crosspipe::rt::checkConsistency(const crosspipe_plan &plan,
                                     int64_t totalActions, PlanFault &fault) {
  return Consistency(plan, totalActions, fault).run();
}
