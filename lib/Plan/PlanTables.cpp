//===- PlanTables.cpp - An execution plan as the runtime's tables ---------===//
//
// One pass over the plan's actions in issue order: each action goes to its
// device's program, after a WAIT per earlier action it waits for. An action
// keeps only slots; which buffer a slot is in, which peer and channel a
// message uses, follow from the tables (Plan.h), so every buffer and device
// the plan names is checked against what the runtime will derive. Channels
// are numbered by (role, src, dst), links in the order channels first use
// them.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/PlanTables.h"
#include "crosspipe/Plan/PlanCheck.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace crosspipe;
using namespace crosspipe::plan;

std::string crosspipe::plan::safeName(std::string_view name, bool link) {
  std::string out(name.substr(0, CROSSPIPE_PLAN_MAX_NAME));
  for (char &c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
              (link && c == '>');
    if (!ok)
      c = '_';
  }
  return out.empty() ? "_" : out;
}

double crosspipe::plan::channelBandwidthMs(const crosspipe_channel &channel,
                                           uint64_t bytes) {
  sched::LinkCost cost;
  cost.bandwidthGbps = channel.gbps;
  return cost.bandwidthMs(bytes);
}

size_t PlanTables::numEntries() const {
  size_t n = 0;
  for (const std::vector<crosspipe_action> &program : storage.actionTables)
    n += program.size();
  return n;
}

namespace crosspipe {
namespace plan {
class TablesBuilder {
public:
  TablesBuilder(const sched::Problem &problem, const Plan &plan,
                const TablesInput &input, PlanTables &out)
      : problem(problem), plan(plan), input(input), out(out) {}
  std::string build();

private:
  using Key = std::tuple<int, int, int>;
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  std::string where(int i) const {
    const Action &a = plan.actions[i];
    return "device " + std::to_string(a.device) + " action " +
           std::to_string(i) + " (" + describeAction(a) + ")";
  }
  int deviceOf(int chunk) const { return problem.chunks[chunk].device; }
  void buildHeader();
  bool buildBuffers();
  bool buildChannels();
  bool buildPrograms();
  bool addWaits(int i);
  bool convert(int i, crosspipe_action &out);
  bool convertExec(int i, crosspipe_action &out);
  bool convertTransfer(int i, crosspipe_action &out);
  bool convertReduce(int i, crosspipe_action &out);
  bool expectSlot(int i, const char *field, SlotRef ref, int role, int chunk,
                  int32_t &slot);
  bool expectBuffer(int i, const char *field, int buffer, int role, int chunk);

  const sched::Problem &problem;
  const Plan &plan;
  const TablesInput &input;
  PlanTables &out;
  std::string error;
  /// Buffer of (device, role, chunk) and channel of (role, src, dst).
  std::map<Key, int> bufferOf, channelOf;
  /// Index of each plan action in its device's program.
  std::vector<int> entryOf;
};
} // namespace plan
} // namespace crosspipe

void TablesBuilder::buildHeader() {
  crosspipe_plan &h = out.header;
  out.storage.nameText = safeName(input.name);
  out.storage.algorithmText = safeName(input.algorithm);
  h.version = CROSSPIPE_PLAN_VERSION;
  h.arrangement = input.arrangement;
  h.devices = plan.numDevices;
  h.chunks = problem.numChunks();
  h.microbatches = problem.numMicrobatches;
  h.dp_degree = problem.dpDegree;
  h.makespan_ms = plan.makespanMs;
  h.lower_bound_ms = input.lowerBoundMs;
  for (int c = 0; c < problem.numChunks(); ++c) {
    // The block times the schedule was made with (sched::wholeBlockMs:
    // a recomputing backward re-runs the forward).
    auto ms = [&](sched::BlockKind kind) {
      return sched::wholeBlockMs(problem, c, kind);
    };
    out.storage.chunkTable.push_back(
        {problem.chunks[c].device, ms(sched::BlockKind::F),
         ms(sched::BlockKind::B), ms(sched::BlockKind::D),
         ms(sched::BlockKind::W), problem.allreduceMs(c)});
  }
}

bool TablesBuilder::buildBuffers() {
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const Buffer &buf = plan.buffers[b];
    auto [it, fresh] =
        bufferOf.insert({{buf.device, int(buf.role), buf.chunk}, int(b)});
    if (!fresh)
      return fail("buffers " + plan.buffers[it->second].name + " and " +
                  buf.name + " are both the " +
                  (buf.role == BufferRole::Stash  ? "stash"
                   : buf.role == BufferRole::Act  ? "act"
                   : buf.role == BufferRole::Grad ? "grad"
                                                  : "param_grad") +
                  " buffer of chunk " + std::to_string(buf.chunk) +
                  " on device " + std::to_string(buf.device) +
                  "; the runtime names a buffer by (device, role, chunk)");
    out.storage.bufferTable.push_back({buf.device, int32_t(buf.role), buf.chunk,
                                       buf.slots, buf.bytes, nullptr});
    out.storage.bufferNames.push_back(safeName(buf.name));
  }
  return true;
}

/// One channel per (role, src, dst) that carries a message, each on the
/// model's link between its devices.
bool TablesBuilder::buildChannels() {
  for (const Action &a : plan.actions)
    if (a.kind == ActionKind::Send)
      channelOf.insert(
          {{a.gradient ? CROSSPIPE_GRAD : CROSSPIPE_ACT, a.src, a.dst}, 0});
  std::map<sched::LinkId, int> linkOf;
  for (auto &[key, id] : channelOf) {
    auto [role, src, dst] = key;
    const sched::LinkCost *cost = problem.linkCost(src, dst);
    if (src == dst || !cost)
      return fail("messages from device " + std::to_string(src) +
                  " to device " + std::to_string(dst) +
                  " have no link of the model to travel on");
    sched::LinkId link = problem.linkBetween(src, dst);
    auto [it, fresh] = linkOf.insert({link, int(out.storage.linkTable.size())});
    if (fresh) {
      out.storage.linkTable.push_back({nullptr});
      out.storage.linkNames.push_back(safeName(problem.linkName(link), true));
    }
    id = int(out.storage.channelTable.size());
    out.storage.channelTable.push_back(
        {src, dst, role, it->second, cost->latencyMs, cost->bandwidthGbps});
  }
  return true;
}

/// A WAIT per distinct earlier action `i` waits for, which must be on its
/// device (the runtime's waits are events of one program).
bool TablesBuilder::addWaits(int i) {
  const Action &a = plan.actions[i];
  std::vector<int> waits = a.waits;
  std::sort(waits.begin(), waits.end());
  waits.erase(std::unique(waits.begin(), waits.end()), waits.end());
  for (int w : waits) {
    if (w < 0 || w >= i)
      return fail(where(i) + " waits for action " + std::to_string(w) +
                  ", which is not an earlier action of the plan");
    if (plan.actions[w].device != a.device)
      return fail(where(i) + " waits for " + where(w) +
                  "; a wait of the runtime names an action of its own "
                  "device");
    crosspipe_action wait{};
    wait.op = CROSSPIPE_OP_WAIT;
    wait.chunk = entryOf[w];
    out.storage.actionTables[a.device].push_back(wait);
    out.origin[a.device].push_back(w);
  }
  return true;
}

bool TablesBuilder::buildPrograms() {
  int devices = plan.numDevices;
  out.storage.programTable.resize(devices);
  out.storage.actionTables.resize(devices);
  out.origin.resize(devices);
  for (int d = 0; d < devices; ++d)
    out.storage.programTable[d].device = d;
  entryOf.assign(plan.actions.size(), -1);
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = plan.actions[i];
    if (a.device < 0 || a.device >= devices)
      return fail("action " + std::to_string(i) + " (" + describeAction(a) +
                  ") runs on device " + std::to_string(a.device) +
                  ", but the plan has " + std::to_string(devices) + " devices");
    crosspipe_action entry{};
    if (!addWaits(i) || !convert(i, entry))
      return false;
    entryOf[i] = int(out.storage.actionTables[a.device].size());
    out.storage.actionTables[a.device].push_back(entry);
    out.origin[a.device].push_back(i);
  }
  return true;
}

bool TablesBuilder::convert(int i, crosspipe_action &entry) {
  switch (plan.actions[i].kind) {
  case ActionKind::Exec:
    return convertExec(i, entry);
  case ActionKind::Send:
  case ActionKind::Recv:
    return convertTransfer(i, entry);
  case ActionKind::Reduce:
    return convertReduce(i, entry);
  }
  return fail(where(i) + " is of no known kind");
}

/// `buffer` must be the (device, role, chunk) buffer of action `i`'s device
/// (role -1: no buffer at all).
bool TablesBuilder::expectBuffer(int i, const char *field, int buffer, int role,
                                 int chunk) {
  int device = plan.actions[i].device;
  auto it = bufferOf.find({device, role, chunk});
  int expected = role < 0 || it == bufferOf.end() ? -1 : it->second;
  if (buffer == expected)
    return true;
  auto name = [&](int b) {
    return b < 0 || b >= int(plan.buffers.size())
               ? std::string("no buffer")
               : "buffer " + plan.buffers[b].name;
  };
  std::string derived =
      role < 0
          ? "the runtime derives no " + std::string(field) + " for it"
          : "the runtime derives its " + std::string(field) + " from the " +
                (role == CROSSPIPE_STASH  ? "stash"
                 : role == CROSSPIPE_ACT  ? "act"
                 : role == CROSSPIPE_GRAD ? "grad"
                                          : "param_grad") +
                " buffer of " +
                (role == CROSSPIPE_ACT || role == CROSSPIPE_GRAD ? "boundary "
                                                                 : "chunk ") +
                std::to_string(chunk) + " on device " + std::to_string(device) +
                ", which is " + name(expected);
  return fail(where(i) + " uses " + name(buffer) + " as its " + field +
              ", but " + derived);
}

bool TablesBuilder::expectSlot(int i, const char *field, SlotRef ref, int role,
                               int chunk, int32_t &slot) {
  if (!expectBuffer(i, field, ref.buffer, role, chunk))
    return false;
  if (ref.buffer < 0)
    return true;
  const Buffer &buf = plan.buffers[ref.buffer];
  if (ref.slot < 0 || ref.slot >= buf.slots)
    return fail(where(i) + " uses slot " + std::to_string(ref.slot) +
                " of buffer " + buf.name + ", which has " +
                std::to_string(buf.slots) + " slots");
  slot = ref.slot;
  return true;
}

bool TablesBuilder::convertExec(int i, crosspipe_action &entry) {
  const Action &a = plan.actions[i];
  const sched::Block &b = a.block;
  int c = b.chunk, last = problem.numChunks() - 1;
  if (c < 0 || c > last || deviceOf(c) != a.device)
    return fail(where(i) + " runs a chunk that is not on device " +
                std::to_string(a.device));
  static const int ops[] = {CROSSPIPE_OP_F, CROSSPIPE_OP_B, CROSSPIPE_OP_D,
                            CROSSPIPE_OP_W};
  entry.op = ops[int(b.kind)];
  entry.chunk = c;
  entry.mb = b.mb;
  bool forward = b.kind == sched::BlockKind::F;
  bool w = b.kind == sched::BlockKind::W;
  // Plan.h: F reads boundary c-1 and writes c; B/D read c and write c-1.
  bool hasIn = forward ? c > 0 : !w && c < last;
  bool hasOut = forward ? c < last : !w && c > 0;
  int role = forward ? CROSSPIPE_ACT : CROSSPIPE_GRAD;
  bool grads = b.kind == sched::BlockKind::B || w;
  if (!expectSlot(i, "input", a.input, hasIn ? role : -1, forward ? c - 1 : c,
                  entry.slot) ||
      !expectSlot(i, "output", a.output, hasOut ? role : -1,
                  forward ? c : c - 1, entry.out) ||
      !expectSlot(i, "stash", a.stash, CROSSPIPE_STASH, c, entry.stash) ||
      !expectBuffer(i, "parameter gradient", a.grads,
                    grads ? CROSSPIPE_PARAM_GRAD : -1, c))
    return false;
  if (b.parts > 1) {
    entry.part = b.part;
    entry.parts = b.parts;
  }
  return true;
}

bool TablesBuilder::convertTransfer(int i, crosspipe_action &entry) {
  const Action &a = plan.actions[i];
  bool send = a.kind == ActionKind::Send;
  int boundary = a.boundary;
  if (boundary < 0 || boundary + 1 >= problem.numChunks())
    return fail(where(i) + " crosses no boundary between two chunks");
  int lower = deviceOf(boundary), upper = deviceOf(boundary + 1);
  int src = a.gradient ? upper : lower, dst = a.gradient ? lower : upper;
  if (a.src != src || a.dst != dst || src == dst)
    return fail(where(i) + " goes from device " + std::to_string(a.src) +
                " to " + std::to_string(a.dst) + ", but its boundary's " +
                (a.gradient ? "gradient" : "activation") +
                (src == dst ? " stays on device " + std::to_string(src)
                            : " goes from device " + std::to_string(src) +
                                  " to " + std::to_string(dst)));
  int role = a.gradient ? CROSSPIPE_GRAD : CROSSPIPE_ACT;
  if (!channelOf.count({role, src, dst}))
    return fail(where(i) + " is received but never sent");
  entry.op = a.gradient
                 ? (send ? CROSSPIPE_OP_SEND_GRAD : CROSSPIPE_OP_RECV_GRAD)
                 : (send ? CROSSPIPE_OP_SEND_ACT : CROSSPIPE_OP_RECV_ACT);
  entry.chunk = boundary;
  entry.mb = a.mb;
  return expectSlot(i, "message buffer", a.buffer, role, boundary, entry.slot);
}

bool TablesBuilder::convertReduce(int i, crosspipe_action &entry) {
  const Action &a = plan.actions[i];
  if (a.chunk < 0 || a.chunk >= problem.numChunks() ||
      deviceOf(a.chunk) != a.device)
    return fail(where(i) + " reduces a chunk that is not on device " +
                std::to_string(a.device));
  entry.op = a.collectiveKind == sched::CollectiveKind::AllGather
                 ? CROSSPIPE_OP_ALL_GATHER
             : a.collectiveKind == sched::CollectiveKind::ReduceScatter
                 ? CROSSPIPE_OP_REDUCE_SCATTER
                 : CROSSPIPE_OP_ALLREDUCE;
  entry.chunk = a.chunk;
  if (a.buckets > 1) {
    entry.mb = a.bucket;
    entry.slot = a.buckets;
  }
  return expectBuffer(i, "gradient", a.gradBuffer, CROSSPIPE_PARAM_GRAD,
                      a.chunk);
}

std::string TablesBuilder::build() {
  buildHeader();
  if (plan.numDevices < 1 || problem.numChunks() < 1)
    return "the plan has no devices or no chunks";
  if (buildBuffers() && buildChannels() && buildPrograms())
    out.link();
  return error;
}

std::string crosspipe::plan::buildTables(const sched::Problem &problem,
                                         const Plan &plan,
                                         const TablesInput &input,
                                         PlanTables &out) {
  return TablesBuilder(problem, plan, input, out).build();
}
