//===- PlanCheck.cpp - crosspipe_plan_check: is a plan runnable? ----------===//
//
// A plan comes from generated code or from a file anybody may have edited,
// and the executors index their tables with its numbers, so it is checked in
// full before it runs: the plan's header and limits, every table entry, then
// every action against the tables (what it touches must exist), then, at
// CheckLevel::Full, the plan's consistency (PlanConsistency.cpp). Faults
// name the table entry or the device and action; the plan file reader
// turns them into file lines. Linear in the plan's size, no recursion.
//
//===----------------------------------------------------------------------===//

#include "PlanInternal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>

using namespace crosspipe::rt;

namespace {

std::string str(int64_t value) { return std::to_string(value); }

std::string range(int64_t lo, int64_t hi) {
  return "[" + str(lo) + ", " + str(hi) + "]";
}

/// Keys of the lookup tables; every part is range-checked before use.
uint64_t bufferKey(int device, int role, int chunk) {
  return (uint64_t(uint32_t(device)) << 32) | (uint64_t(role & 3) << 30) |
         uint64_t(uint32_t(chunk) & 0x3fffffffu);
}
uint64_t channelKey(int src, int dst, int role) {
  return (uint64_t(uint32_t(src)) << 32) | (uint64_t(role & 3) << 30) |
         uint64_t(uint32_t(dst) & 0x3fffffffu);
}

class Checker {
public:
  Checker(const crosspipe_plan &plan, CheckLevel level, PlanFault &fault)
      : p(plan), level(level), fault(fault) {}

  bool run() {
    return header() && chunkTable() && linkTable() && bufferTable() &&
           channelTable() && programs() &&
           (level == CheckLevel::Structure ||
            checkConsistency(p, totalActions, fault));
  }

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

  static bool inRange(int64_t v, int64_t lo, int64_t hi) {
    return v >= lo && v <= hi;
  }
  static bool goodMs(double v) {
    return std::isfinite(v) && v >= 0 && v <= CROSSPIPE_PLAN_MAX_MS;
  }
  static std::string badMs(const char *field, double v) {
    char text[64];
    std::snprintf(text, sizeof(text), "%g", v);
    return std::string(field) + " must be a finite time in [0, 1e12] ms, got " +
           text;
  }

  //===--- Header and tables ----------------------------------------------===//

  bool header() {
    if (p.version != CROSSPIPE_PLAN_VERSION)
      return failPlan("plan version " + str(p.version) +
                      ", this runtime runs version " +
                      str(CROSSPIPE_PLAN_VERSION));
    if (!p.name || !isSafeName(p.name))
      return failPlan("name " + printableName(p.name) +
                      " must be 1 to 256 bytes of [A-Za-z0-9_.-]");
    if (!p.algorithm || !isSafeName(p.algorithm))
      return failPlan("algorithm " + printableName(p.algorithm) +
                      " must be 1 to 256 bytes of [A-Za-z0-9_.-]");
    if (!arrangementName(p.arrangement))
      return failPlan("arrangement " + str(p.arrangement) +
                      " must be 0 (nccl) or 1 (emulate)");
    struct Count {
      const char *field;
      int64_t value, max;
    } counts[] = {
        {"devices", p.devices, CROSSPIPE_PLAN_MAX_DEVICES},
        {"chunks", p.chunks, CROSSPIPE_PLAN_MAX_CHUNKS},
        {"microbatches", p.microbatches, CROSSPIPE_PLAN_MAX_MICROBATCHES},
        {"dp_degree", p.dp_degree, CROSSPIPE_PLAN_MAX_DP_DEGREE}};
    for (const Count &c : counts)
      if (!inRange(c.value, 1, c.max))
        return failPlan(std::string(c.field) + " " + str(c.value) +
                        " is out of range " + range(1, c.max));
    if (!goodMs(p.makespan_ms))
      return failPlan(badMs("makespan_ms", p.makespan_ms));
    if (!goodMs(p.lower_bound_ms))
      return failPlan(badMs("lower_bound_ms", p.lower_bound_ms));
    if (!p.chunk_table)
      return failPlan("no chunk table");
    if (!p.programs)
      return failPlan("no program table");
    return true;
  }

  bool chunkTable() {
    for (int c = 0; c < p.chunks; ++c) {
      const crosspipe_chunk &k = p.chunk_table[c];
      if (!inRange(k.device, 0, p.devices - 1))
        return fail(PlanFault::Chunk, c,
                    "device " + str(k.device) + " is out of range " +
                        range(0, p.devices - 1));
      const std::pair<const char *, double> times[] = {
          {"forward_ms", k.forward_ms},
          {"backward_ms", k.backward_ms},
          {"dgrad_ms", k.dgrad_ms},
          {"wgrad_ms", k.wgrad_ms},
          {"allreduce_ms", k.allreduce_ms}};
      for (const auto &t : times)
        if (!goodMs(t.second))
          return fail(PlanFault::Chunk, c, badMs(t.first, t.second));
    }
    return true;
  }

  bool tableSize(const char *what, int32_t count, const void *table) {
    if (!inRange(count, 0, CROSSPIPE_PLAN_MAX_TABLE))
      return failPlan(std::string(what) + " count " + str(count) +
                      " is out of range " + range(0, CROSSPIPE_PLAN_MAX_TABLE));
    if (count > 0 && !table)
      return failPlan(std::string("no ") + what + " table for " + str(count) +
                      " entries");
    return true;
  }

  bool linkTable() {
    if (!tableSize("link", p.num_links, p.links))
      return false;
    for (int l = 0; l < p.num_links; ++l)
      if (!p.links[l].name || !isSafeName(p.links[l].name, /*link=*/true))
        return fail(PlanFault::Link, l,
                    "name " + printableName(p.links[l].name) +
                        " must be 1 to 256 bytes of [A-Za-z0-9_.>-]");
    return true;
  }

  /// The device a boundary's message buffer must sit on: either side.
  bool boundaryDevice(int boundary, int device) const {
    return p.chunk_table[boundary].device == device ||
           p.chunk_table[boundary + 1].device == device;
  }

  bool bufferTable() {
    if (!tableSize("buffer", p.num_buffers, p.buffers))
      return false;
    int64_t totalSlots = 0;
    for (int b = 0; b < p.num_buffers; ++b) {
      const crosspipe_buffer &buf = p.buffers[b];
      auto bad = [&](const std::string &m) {
        return fail(PlanFault::Buffer, b, m);
      };
      if (!buf.name || !isSafeName(buf.name))
        return bad("name " + printableName(buf.name) +
                   " must be 1 to 256 bytes of [A-Za-z0-9_.-]");
      if (!inRange(buf.device, 0, p.devices - 1))
        return bad("device " + str(buf.device) + " is out of range " +
                   range(0, p.devices - 1));
      if (!roleName(buf.role))
        return bad("role " + str(buf.role) + " must be 0 to 3");
      if (buf.role == CROSSPIPE_ACT || buf.role == CROSSPIPE_GRAD) {
        if (!inRange(buf.chunk, 0, p.chunks - 2))
          return bad("boundary " + str(buf.chunk) + " is out of range " +
                     range(0, p.chunks - 2));
        if (!boundaryDevice(buf.chunk, buf.device))
          return bad("device " + str(buf.device) +
                     " runs neither chunk of boundary " + str(buf.chunk));
      } else {
        if (!inRange(buf.chunk, 0, p.chunks - 1))
          return bad("chunk " + str(buf.chunk) + " is out of range " +
                     range(0, p.chunks - 1));
        if (p.chunk_table[buf.chunk].device != buf.device)
          return bad("chunk " + str(buf.chunk) + " runs on device " +
                     str(p.chunk_table[buf.chunk].device) + ", not " +
                     str(buf.device));
      }
      if (!inRange(buf.slots, 1, CROSSPIPE_PLAN_MAX_SLOTS))
        return bad("slots " + str(buf.slots) + " is out of range " +
                   range(1, CROSSPIPE_PLAN_MAX_SLOTS));
      if (buf.bytes > CROSSPIPE_PLAN_MAX_SLOT_BYTES)
        return bad("bytes " + std::to_string(buf.bytes) +
                   " exceeds the limit of 2^40 per slot");
      totalSlots += buf.slots;
      if (totalSlots > CROSSPIPE_PLAN_MAX_TOTAL_SLOTS)
        return bad("the buffers hold more than 2^24 slots in all");
      if (!bufferOf.emplace(bufferKey(buf.device, buf.role, buf.chunk), b)
               .second)
        return bad(std::string("a second ") + roleName(buf.role) +
                   " buffer of chunk " + str(buf.chunk) + " on device " +
                   str(buf.device) + " (the first is buffer " +
                   str(bufferOf[bufferKey(buf.device, buf.role, buf.chunk)]) +
                   ")");
    }
    return true;
  }

  bool channelTable() {
    if (!tableSize("channel", p.num_channels, p.channels))
      return false;
    for (int c = 0; c < p.num_channels; ++c) {
      const crosspipe_channel &ch = p.channels[c];
      auto bad = [&](const std::string &m) {
        return fail(PlanFault::Channel, c, m);
      };
      if (!inRange(ch.src, 0, p.devices - 1))
        return bad("src " + str(ch.src) + " is out of range " +
                   range(0, p.devices - 1));
      if (!inRange(ch.dst, 0, p.devices - 1))
        return bad("dst " + str(ch.dst) + " is out of range " +
                   range(0, p.devices - 1));
      if (ch.src == ch.dst)
        return bad("src and dst are both device " + str(ch.src));
      if (ch.role != CROSSPIPE_ACT && ch.role != CROSSPIPE_GRAD)
        return bad("role " + str(ch.role) + " must be 1 (act) or 2 (grad)");
      if (!inRange(ch.link, 0, int64_t(p.num_links) - 1))
        return bad("link " + str(ch.link) + " is out of range " +
                   range(0, int64_t(p.num_links) - 1));
      if (!goodMs(ch.latency_ms))
        return bad(badMs("latency_ms", ch.latency_ms));
      if (!std::isfinite(ch.gbps) || ch.gbps < 0 || ch.gbps > 1e9 ||
          (ch.gbps > 0 && ch.gbps < 1e-6)) {
        char text[64];
        std::snprintf(text, sizeof(text), "%g", ch.gbps);
        return bad(std::string("gbps must be 0 (free) or in [1e-6, 1e9], "
                               "got ") +
                   text);
      }
      if (!channelOf.emplace(channelKey(ch.src, ch.dst, ch.role), c).second)
        return bad(std::string("a second ") + roleName(ch.role) +
                   " channel from device " + str(ch.src) + " to " +
                   str(ch.dst));
    }
    return true;
  }

  //===--- Actions --------------------------------------------------------===//

  bool programs() {
    int64_t total = 0;
    for (device = 0; device < p.devices; ++device) {
      const crosspipe_program &prog = p.programs[device];
      if (prog.device != device)
        return fail(PlanFault::Program, device,
                    "program " + str(device) + " is for device " +
                        str(prog.device) + "; programs go in device order");
      if (!inRange(prog.count, 0, CROSSPIPE_PLAN_MAX_ACTIONS))
        return fail(PlanFault::Program, device,
                    "action count " + str(prog.count) + " is out of range " +
                        range(0, CROSSPIPE_PLAN_MAX_ACTIONS));
      total += prog.count;
      if (total > CROSSPIPE_PLAN_MAX_ACTIONS)
        return fail(PlanFault::Program, device,
                    "the programs hold more than 2^26 actions in all");
      if (prog.count > 0 && !prog.actions)
        return fail(PlanFault::Program, device, "no action table");
      for (actionIndex = 0; actionIndex < prog.count; ++actionIndex)
        if (!action(prog.actions[actionIndex]))
          return false;
      actionIndex = -1;
      if (prog.count > 0 &&
          prog.actions[prog.count - 1].op == CROSSPIPE_OP_WAIT)
        return fail(PlanFault::Action, device,
                    "the program ends with a wait, which holds no action",
                    prog.count - 1);
    }
    totalActions = total;
    return true;
  }

  /// The fields an action does not use must be 0, so a plan has one
  /// spelling and its file reads back equal.
  bool unusedZero(const crosspipe_action &a, bool mb, bool slot, bool out,
                  bool stash, bool parts) {
    const std::pair<const char *, int32_t> fields[] = {
        {"mb", mb ? 0 : a.mb},        {"slot", slot ? 0 : a.slot},
        {"out", out ? 0 : a.out},     {"stash", stash ? 0 : a.stash},
        {"part", parts ? 0 : a.part}, {"parts", parts ? 0 : a.parts}};
    for (const auto &f : fields)
      if (f.second != 0)
        return failAction(std::string(f.first) +
                          " must be 0 for this op, got " + str(f.second));
    return true;
  }

  /// Slot `slot` of the (device, role, chunk) buffer, which must exist.
  bool needSlot(const crosspipe_action &a, const char *field, int role,
                int chunk, int32_t slot) {
    auto it = bufferOf.find(bufferKey(device, role, chunk));
    if (it == bufferOf.end())
      return failAction(std::string(field) + ": device " + str(device) +
                        " has no " + roleName(role) + " buffer of " +
                        (role == CROSSPIPE_ACT || role == CROSSPIPE_GRAD
                             ? "boundary "
                             : "chunk ") +
                        str(chunk));
    const crosspipe_buffer &buf = p.buffers[it->second];
    if (!inRange(slot, 0, buf.slots - 1))
      return failAction(std::string(field) + " " + str(slot) +
                        " is out of range: buffer " + buf.name + " has " +
                        str(buf.slots) + " slots");
    return true;
  }

  bool noSlot(const crosspipe_action &a, const char *field, int32_t slot,
              const char *why) {
    if (slot != 0)
      return failAction(std::string(field) + " must be 0 (" + why + "), got " +
                        str(slot));
    return true;
  }

  bool action(const crosspipe_action &a) {
    if (!opName(a.op))
      return failAction("op " + str(a.op) + " must be 0 to 11");
    if (a.op == CROSSPIPE_OP_WAIT)
      return wait(a);
    if (isCompute(a.op))
      return compute(a);
    if (isMessage(a.op))
      return message(a);
    return collective(a);
  }

  bool wait(const crosspipe_action &a) {
    if (!inRange(a.chunk, 0, actionIndex - 1))
      return failAction("a wait must name an earlier action of its "
                        "program, in " +
                        range(0, actionIndex - 1));
    if (p.programs[device].actions[a.chunk].op == CROSSPIPE_OP_WAIT)
      return failAction("action " + str(a.chunk) +
                        " is a wait, which never completes anything");
    return unusedZero(a, false, false, false, false, false);
  }

  bool compute(const crosspipe_action &a) {
    if (!inRange(a.chunk, 0, p.chunks - 1))
      return failAction("chunk is out of range " + range(0, p.chunks - 1));
    if (p.chunk_table[a.chunk].device != device)
      return failAction("chunk " + str(a.chunk) + " runs on device " +
                        str(p.chunk_table[a.chunk].device));
    if (!inRange(a.mb, 0, p.microbatches - 1))
      return failAction("mb is out of range " + range(0, p.microbatches - 1));
    if (!inRange(a.parts, 0, CROSSPIPE_PLAN_MAX_PARTS))
      return failAction("parts " + str(a.parts) + " is out of range " +
                        range(0, CROSSPIPE_PLAN_MAX_PARTS));
    int parts = a.parts ? a.parts : 1;
    if (!inRange(a.part, 0, parts - 1))
      return failAction("part " + str(a.part) + " is out of range " +
                        range(0, parts - 1));
    int c = a.chunk, last = p.chunks - 1;
    bool forward = a.op == CROSSPIPE_OP_F, w = a.op == CROSSPIPE_OP_W;
    // Input: F reads the activation of boundary c-1, B/D the gradient of
    // boundary c; W reads no message.
    bool hasInput = forward ? c > 0 : !w && c < last;
    if (hasInput
            ? !needSlot(a, "slot", forward ? CROSSPIPE_ACT : CROSSPIPE_GRAD,
                        forward ? c - 1 : c, a.slot)
            : !noSlot(a, "slot", a.slot, "no input message"))
      return false;
    bool hasOutput = forward ? c < last : !w && c > 0;
    if (hasOutput
            ? !needSlot(a, "out", forward ? CROSSPIPE_ACT : CROSSPIPE_GRAD,
                        forward ? c : c - 1, a.out)
            : !noSlot(a, "out", a.out, "no output message"))
      return false;
    if (!needSlot(a, "stash", CROSSPIPE_STASH, c, a.stash))
      return false;
    if (a.op == CROSSPIPE_OP_B || w)
      return needSlot(a, "parameter gradient", CROSSPIPE_PARAM_GRAD, c, 0);
    return true;
  }

  bool message(const crosspipe_action &a) {
    int role = messageRole(a.op);
    if (!inRange(a.chunk, 0, p.chunks - 2))
      return failAction("boundary is out of range " + range(0, p.chunks - 2));
    if (!inRange(a.mb, 0, p.microbatches - 1))
      return failAction("mb is out of range " + range(0, p.microbatches - 1));
    // Activations flow from the boundary's lower chunk to its upper one,
    // gradients back.
    int lower = p.chunk_table[a.chunk].device;
    int upper = p.chunk_table[a.chunk + 1].device;
    bool sends = isSend(a.op);
    int src = role == CROSSPIPE_ACT ? lower : upper;
    int dst = role == CROSSPIPE_ACT ? upper : lower;
    int self = sends ? src : dst, peer = sends ? dst : src;
    if (self != device)
      return failAction("boundary " + str(a.chunk) + " " +
                        (sends ? "sends from" : "receives on") + " device " +
                        str(self) + ", not " + str(device));
    if (src == dst)
      return failAction("boundary " + str(a.chunk) + " is local to device " +
                        str(device) + " and carries no message");
    if (!needSlot(a, "slot", role, a.chunk, a.slot) ||
        !unusedZero(a, true, true, false, false, false))
      return false;
    if (!channelOf.count(channelKey(src, dst, role)))
      return failAction(std::string("no ") + roleName(role) +
                        " channel from device " + str(src) + " to " + str(dst));
    auto peerBuffer = bufferOf.find(bufferKey(peer, role, a.chunk));
    if (peerBuffer == bufferOf.end())
      return failAction(std::string("peer device ") + str(peer) + " has no " +
                        roleName(role) + " buffer of boundary " + str(a.chunk));
    const crosspipe_buffer &mine =
        p.buffers[bufferOf[bufferKey(device, role, a.chunk)]];
    const crosspipe_buffer &theirs = p.buffers[peerBuffer->second];
    if (mine.bytes != theirs.bytes)
      return failAction(std::string("buffer ") + mine.name + " has " +
                        std::to_string(mine.bytes) + " bytes but its peer " +
                        theirs.name + " has " + std::to_string(theirs.bytes));
    return true;
  }

  bool collective(const crosspipe_action &a) {
    if (!inRange(a.chunk, 0, p.chunks - 1))
      return failAction("chunk is out of range " + range(0, p.chunks - 1));
    if (p.chunk_table[a.chunk].device != device)
      return failAction("chunk " + str(a.chunk) + " runs on device " +
                        str(p.chunk_table[a.chunk].device));
    if (!inRange(a.slot, 0, CROSSPIPE_PLAN_MAX_BUCKETS))
      return failAction("bucket count " + str(a.slot) + " is out of range " +
                        range(0, CROSSPIPE_PLAN_MAX_BUCKETS));
    int buckets = a.slot ? a.slot : 1;
    if (!inRange(a.mb, 0, buckets - 1))
      return failAction("bucket " + str(a.mb) + " is out of range " +
                        range(0, buckets - 1));
    if (!unusedZero(a, true, true, false, false, false))
      return false;
    return needSlot(a, "parameter gradient", CROSSPIPE_PARAM_GRAD, a.chunk, 0);
  }

  const crosspipe_plan &p;
  CheckLevel level;
  PlanFault &fault;
  std::unordered_map<uint64_t, int> bufferOf, channelOf;
  int device = 0;
  int64_t actionIndex = -1;
  int64_t totalActions = 0;
};

} // namespace

bool crosspipe::rt::setFault(const crosspipe_plan &plan, PlanFault::Kind kind,
                             int64_t index, const std::string &message,
                             int64_t action, PlanFault &fault) {
  fault.kind = kind;
  fault.index = index;
  fault.action = action;
  fault.message = message;
  if (kind == PlanFault::Action && index >= 0 && index < plan.devices &&
      action >= 0 && action < plan.programs[index].count)
    fault.subject = describeAction(plan.programs[index].actions[action]);
  return false;
}

bool crosspipe::rt::checkPlan(const crosspipe_plan *plan, CheckLevel level,
                              PlanFault &fault) {
  if (!plan) {
    fault = PlanFault();
    fault.message = "no plan";
    return false;
  }
  return Checker(*plan, level, fault).run();
}

std::string crosspipe::rt::formatFault(const PlanFault &fault) {
  std::string where;
  switch (fault.kind) {
  case PlanFault::Plan:
    where = "plan";
    break;
  case PlanFault::Chunk:
    where = "chunk " + str(fault.index);
    break;
  case PlanFault::Link:
    where = "link " + str(fault.index);
    break;
  case PlanFault::Buffer:
    where = "buffer " + str(fault.index);
    break;
  case PlanFault::Channel:
    where = "channel " + str(fault.index);
    break;
  case PlanFault::Program:
    where = "device " + str(fault.index);
    break;
  case PlanFault::Action:
    where = "device " + str(fault.index) + " action " + str(fault.action);
    if (!fault.subject.empty())
      where += " (" + fault.subject + ")";
    break;
  }
  return where + ": " + fault.message;
}

void crosspipe::rt::copyError(const std::string &text, char *error,
                              size_t size) {
  if (!error || size == 0)
    return;
  size_t n = std::min(text.size(), size - 1);
  std::memcpy(error, text.data(), n);
  error[n] = '\0';
}

extern "C" int crosspipe_plan_check(const crosspipe_plan *plan, char *error,
                                    size_t size) {
  try {
    PlanFault fault;
    if (checkPlan(plan, CheckLevel::Full, fault))
      return 0;
    copyError(formatFault(fault), error, size);
  } catch (...) {
    copyError("out of memory while checking the plan", error, size);
  }
  return -1;
}
