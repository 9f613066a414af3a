//===- TestPlans.cpp - Hand-built execution plans for the runtime's tests -===//
//
// How the plans of TestPlans.h are laid out. Device d runs chunk d. Its
// compute order is GPipe (every F, then every backward) or 1F1B (P-d-1
// forwards, then one forward and one backward alternately); a split
// backward is D then W of the same microbatch. Around each block:
//
//   - a receive of microbatch m into message slot m % S is posted right
//     after the block that read slot's previous occupant (m - S), with a
//     wait on that block, or at the start for m < S;
//   - a block waits for the receive of its input, and for the send that
//     last read its output slot (m - S) before overwriting it;
//   - after its last part, a wait on it and the send of its output.
//
// Stash slots are m % K with K the most activations the schedule holds
// (M for GPipe, P-d for 1F1B), which the compute order makes safe.
//
//===----------------------------------------------------------------------===//

#include "TestPlans.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>

using namespace crosspipe::rt::test;

namespace {

struct Block {
  int op, mb;
};

std::vector<Block> computeOrder(const PlanSpec &spec, int d) {
  int P = spec.devices, M = spec.microbatches;
  std::vector<Block> order;
  auto backward = [&](int m) {
    if (spec.split) {
      order.push_back({CROSSPIPE_OP_D, m});
      order.push_back({CROSSPIPE_OP_W, m});
    } else {
      order.push_back({CROSSPIPE_OP_B, m});
    }
  };
  if (spec.schedule == PlanSpec::GPipe) {
    for (int m = 0; m < M; ++m)
      order.push_back({CROSSPIPE_OP_F, m});
    for (int m = 0; m < M; ++m)
      backward(m);
    return order;
  }
  int warmup = std::min(P - d - 1, M);
  for (int m = 0; m < warmup; ++m)
    order.push_back({CROSSPIPE_OP_F, m});
  for (int j = 0; j < M; ++j) {
    if (warmup + j < M)
      order.push_back({CROSSPIPE_OP_F, warmup + j});
    backward(j);
  }
  return order;
}

/// Builds one device's program.
class ProgramBuilder {
public:
  ProgramBuilder(const PlanSpec &spec, int d,
                 std::vector<crosspipe_action> &out)
      : spec(spec), d(d), P(spec.devices), M(spec.microbatches),
        S(spec.messageSlots), out(out) {}

  void build() {
    // Receives of the first S microbatches go up front.
    for (int m = 0; m < std::min(S, M); ++m) {
      if (d > 0)
        recv(CROSSPIPE_OP_RECV_ACT, m, -1);
      if (d < P - 1)
        recv(CROSSPIPE_OP_RECV_GRAD, m, -1);
    }
    int stashSlots = spec.schedule == PlanSpec::GPipe ? M : std::min(M, P - d);
    for (const Block &b : computeOrder(spec, d))
      block(b, stashSlots);
    if (spec.dp) {
      for (int k = 0; k < spec.dpBuckets; ++k) {
        wait(lastCompute);
        out.push_back({CROSSPIPE_OP_ALLREDUCE, d, k,
                       spec.dpBuckets > 1 ? spec.dpBuckets : 0, 0, 0, 0, 0});
      }
    }
  }

private:
  void wait(int index) {
    out.push_back({CROSSPIPE_OP_WAIT, index, 0, 0, 0, 0, 0, 0});
  }
  int push(const crosspipe_action &a) {
    out.push_back(a);
    return int(out.size()) - 1;
  }

  void recv(int op, int m, int after) {
    if (after >= 0)
      wait(after);
    int boundary = op == CROSSPIPE_OP_RECV_ACT ? d - 1 : d;
    recvs[{op, m}] = push({op, boundary, m, m % S, 0, 0, 0, 0});
  }

  void block(const Block &b, int stashSlots) {
    int m = b.mb, parts = spec.parts;
    bool forward = b.op == CROSSPIPE_OP_F, w = b.op == CROSSPIPE_OP_W;
    bool hasInput = forward ? d > 0 : !w && d < P - 1;
    bool hasOutput = forward ? d < P - 1 : !w && d > 0;
    int recvOp = forward ? CROSSPIPE_OP_RECV_ACT : CROSSPIPE_OP_RECV_GRAD;
    int sendOp = forward ? CROSSPIPE_OP_SEND_ACT : CROSSPIPE_OP_SEND_GRAD;
    if (hasInput)
      wait(recvs.at({recvOp, m}));
    if (hasOutput && m >= S)
      wait(sends.at({sendOp, m - S}));
    int last = -1;
    for (int part = 0; part < parts; ++part)
      last =
          push({b.op, d, m, hasInput ? m % S : 0, hasOutput ? m % S : 0,
                m % stashSlots, parts > 1 ? part : 0, parts > 1 ? parts : 0});
    lastCompute = last;
    if (hasOutput) {
      wait(last);
      int boundary = forward ? d : d - 1;
      sends[{sendOp, m}] = push({sendOp, boundary, m, m % S, 0, 0, 0, 0});
    }
    // The slot this block read is free: post the receive that reuses it.
    if (hasInput && m + S < M)
      recv(recvOp, m + S, last);
  }

  const PlanSpec &spec;
  int d, P, M, S;
  std::vector<crosspipe_action> &out;
  std::map<std::pair<int, int>, int> recvs, sends;
  int lastCompute = -1;
};

void addBuffer(TestPlan &t, int device, int role, int chunk, int slots,
               uint64_t bytes, const std::string &name) {
  t.bufferTable.push_back({device, role, chunk, slots, bytes, nullptr});
  t.bufferNames.push_back(name);
}

void addTables(TestPlan &t, const PlanSpec &spec) {
  int P = spec.devices, M = spec.microbatches;
  int firstDc = spec.firstDc >= 0 ? spec.firstDc : P / 2;
  auto dc = [&](int d) { return d < firstDc ? 0 : 1; };
  for (int d = 0; d < P; ++d)
    t.chunkTable.push_back({d, spec.forwardMs, spec.backwardMs, spec.dgradMs,
                            spec.wgradMs, spec.allreduceMs});
  for (int d = 0; d < P; ++d) {
    std::string s = std::to_string(d);
    int stash = spec.schedule == PlanSpec::GPipe ? M : std::min(M, P - d);
    addBuffer(t, d, CROSSPIPE_STASH, d, stash, spec.stashBytes, "stash" + s);
    addBuffer(t, d, CROSSPIPE_PARAM_GRAD, d, 1, spec.gradBytes, "pgrad" + s);
  }
  for (int b = 0; b + 1 < P; ++b) {
    std::string s = std::to_string(b);
    for (int side = 0; side < 2; ++side) {
      std::string dev = "_d" + std::to_string(b + side);
      addBuffer(t, b + side, CROSSPIPE_ACT, b, spec.messageSlots,
                spec.messageBytes, "act" + s + dev);
      addBuffer(t, b + side, CROSSPIPE_GRAD, b, spec.messageSlots,
                spec.messageBytes, "grad" + s + dev);
    }
  }
  // Links: one per device pair inside a datacenter, one per direction
  // between the two, shared by every channel that crosses.
  std::map<std::pair<int, int>, int> linkOf;
  auto link = [&](int src, int dst) {
    std::pair<int, int> key = dc(src) == dc(dst)
                                  ? std::make_pair(src, dst)
                                  : std::make_pair(-1 - dc(src), -1 - dc(dst));
    auto it = linkOf.find(key);
    if (it != linkOf.end())
      return it->second;
    std::string name =
        dc(src) == dc(dst)
            ? "dev" + std::to_string(src) + "->dev" + std::to_string(dst)
            : std::string(dc(src) ? "west->east" : "east->west");
    t.linkTable.push_back({nullptr});
    t.linkNames.push_back(name);
    return linkOf[key] = int(t.linkTable.size()) - 1;
  };
  for (int b = 0; b + 1 < P; ++b)
    for (int role : {CROSSPIPE_ACT, CROSSPIPE_GRAD}) {
      int src = role == CROSSPIPE_ACT ? b : b + 1;
      int dst = role == CROSSPIPE_ACT ? b + 1 : b;
      bool cross = dc(src) != dc(dst);
      t.channelTable.push_back(
          {src, dst, role, link(src, dst),
           cross ? spec.crossLatencyMs : spec.intraLatencyMs,
           cross ? spec.crossGbps : spec.intraGbps});
    }
}

} // namespace

const crosspipe_plan *TestPlan::get() {
  plan = header;
  plan.chunks = int32_t(chunkTable.size());
  programTable.resize(actionTables.size());
  for (size_t d = 0; d < actionTables.size(); ++d)
    programTable[d].device = int32_t(d);
  link(plan);
  return &plan;
}

int TestPlan::find(int device, int op, int chunk, int mb) const {
  const std::vector<crosspipe_action> &p = actionTables.at(device);
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i].op == op && p[i].chunk == chunk && p[i].mb == mb)
      return int(i);
  return -1;
}

void TestPlan::erase(int device, int index) {
  std::vector<crosspipe_action> &p = actionTables.at(device);
  std::vector<crosspipe_action> kept;
  std::vector<int> newIndex(p.size(), -1);
  for (size_t i = 0; i < p.size(); ++i) {
    if (int(i) == index)
      continue;
    if (p[i].op == CROSSPIPE_OP_WAIT &&
        (p[i].chunk == index || newIndex[p[i].chunk] < 0))
      continue;
    crosspipe_action a = p[i];
    if (a.op == CROSSPIPE_OP_WAIT)
      a.chunk = newIndex[a.chunk];
    newIndex[i] = int(kept.size());
    kept.push_back(a);
  }
  p = std::move(kept);
}

TestPlan crosspipe::rt::test::buildPlan(const PlanSpec &spec) {
  TestPlan t;
  t.nameText = spec.name;
  t.algorithmText = spec.schedule == PlanSpec::GPipe ? "gpipe" : "1f1b";
  crosspipe_plan &h = t.header;
  h.version = CROSSPIPE_PLAN_VERSION;
  h.arrangement = spec.arrangement;
  h.devices = spec.devices;
  h.microbatches = spec.microbatches;
  h.dp_degree = spec.dp ? 2 : 1;
  h.makespan_ms = 0;
  h.lower_bound_ms = 0;
  addTables(t, spec);
  t.actionTables.resize(spec.devices);
  for (int d = 0; d < spec.devices; ++d)
    ProgramBuilder(spec, d, t.actionTables[d]).build();
  t.get();
  return t;
}

int64_t crosspipe::rt::test::actionCount(const crosspipe_plan &plan) {
  int64_t n = 0;
  for (int d = 0; d < plan.devices; ++d)
    n += plan.programs[d].count;
  return n;
}

std::string crosspipe::rt::test::writePlanText(const crosspipe_plan *plan) {
  char *data = nullptr;
  size_t size = 0;
  FILE *out = open_memstream(&data, &size);
  if (!out)
    return {};
  int status = crosspipe_plan_write(plan, out);
  std::fclose(out);
  std::string text = status == 0 ? std::string(data, size) : std::string();
  std::free(data);
  return text;
}

bool crosspipe::rt::test::samePlan(const crosspipe_plan &a,
                                   const crosspipe_plan &b,
                                   std::string &difference) {
  auto differ = [&](const std::string &what) {
    difference = what;
    return false;
  };
  if (std::string(a.name) != b.name || std::string(a.algorithm) != b.algorithm)
    return differ("name or algorithm");
  if (std::tie(a.version, a.arrangement, a.devices, a.chunks, a.microbatches,
               a.dp_degree, a.makespan_ms, a.lower_bound_ms, a.num_buffers,
               a.num_channels, a.num_links) !=
      std::tie(b.version, b.arrangement, b.devices, b.chunks, b.microbatches,
               b.dp_degree, b.makespan_ms, b.lower_bound_ms, b.num_buffers,
               b.num_channels, b.num_links))
    return differ("header");
  for (int c = 0; c < a.chunks; ++c) {
    const crosspipe_chunk &x = a.chunk_table[c], &y = b.chunk_table[c];
    if (std::tie(x.device, x.forward_ms, x.backward_ms, x.dgrad_ms, x.wgrad_ms,
                 x.allreduce_ms) != std::tie(y.device, y.forward_ms,
                                             y.backward_ms, y.dgrad_ms,
                                             y.wgrad_ms, y.allreduce_ms))
      return differ("chunk " + std::to_string(c));
  }
  for (int i = 0; i < a.num_buffers; ++i) {
    const crosspipe_buffer &x = a.buffers[i], &y = b.buffers[i];
    if (std::tie(x.device, x.role, x.chunk, x.slots, x.bytes) !=
            std::tie(y.device, y.role, y.chunk, y.slots, y.bytes) ||
        std::string(x.name) != y.name)
      return differ("buffer " + std::to_string(i));
  }
  for (int i = 0; i < a.num_channels; ++i) {
    const crosspipe_channel &x = a.channels[i], &y = b.channels[i];
    if (std::tie(x.src, x.dst, x.role, x.link, x.latency_ms, x.gbps) !=
        std::tie(y.src, y.dst, y.role, y.link, y.latency_ms, y.gbps))
      return differ("channel " + std::to_string(i));
  }
  for (int i = 0; i < a.num_links; ++i)
    if (std::string(a.links[i].name) != b.links[i].name)
      return differ("link " + std::to_string(i));
  for (int d = 0; d < a.devices; ++d) {
    const crosspipe_program &x = a.programs[d], &y = b.programs[d];
    if (x.device != y.device || x.count != y.count)
      return differ("program " + std::to_string(d));
    for (int i = 0; i < x.count; ++i) {
      const crosspipe_action &p = x.actions[i], &q = y.actions[i];
      if (std::tie(p.op, p.chunk, p.mb, p.slot, p.out, p.stash, p.part,
                   p.parts) != std::tie(q.op, q.chunk, q.mb, q.slot, q.out,
                                        q.stash, q.part, q.parts))
        return differ("device " + std::to_string(d) + " action " +
                      std::to_string(i));
    }
  }
  return true;
}
