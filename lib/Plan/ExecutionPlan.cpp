//===- ExecutionPlan.cpp - From a simulated schedule to a plan ------------===//
//
// The communication arrangement of the paper's execution engine, decided at
// compile time from the simulated timeline: which stream runs each send and
// receive, which events order them, and which buffer slot each microbatch
// uses. Slot lifetimes come from simulated times, so the slot waits never
// bind when the run follows the model, and the slot count is what the
// schedule keeps in flight. Data-parallel collectives (one per gradient
// bucket, and under ZeRO-1 an all-gather first) queue on each device's DP
// stream in the simulator's order. The actions are then put in one
// topological order, sorted by simulated time, of all devices' work.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/ExecutionPlan.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <tuple>

using namespace crosspipe;
using namespace crosspipe::plan;
using sched::BlockGraph;
using SKind = sched::BlockKind;

namespace {
/// One cross-device message and what the plan decides for it.
struct Message {
  const sched::TransferEvent *event = nullptr;
  int boundary = 0;
  Pos producer, consumer, consumerLast;
  SlotRef send, recv;
  /// The message that used the send slot before (its send must complete
  /// before the producer overwrites the slot), or -1.
  int sendSlotPrev = -1;
  /// The block that last read the receive slot, or device -1.
  Pos recvSlotPrevReader;
  int sendNode = -1, recvNode = -1;
};

/// A plan action before it is ordered: what it waits on and what must be
/// enqueued before it.
struct Node {
  ActionKind kind;
  int device = 0;
  double key = 0; // Simulated time that orders the issue.
  int ref = 0;    // Block index in its device, message or collective.
  std::vector<int> waits;
  std::vector<int> after; // Order only (stream FIFO, receive first).
};

class PlanBuilder {
public:
  PlanBuilder(const sched::Problem &problem, const sched::Schedule &schedule,
              const sched::SimResult &sim)
      : problem(problem), schedule(schedule), sim(sim), graph(problem) {}
  std::string build(Plan &out);

private:
  using LogicalKey = std::tuple<int, int, int>; // (slot kind, chunk, mb)
  const sched::Block &blockAt(Pos p) const {
    return schedule.order[p.device][p.index];
  }
  const sched::Interval &timeAt(Pos p) const {
    return sim.times[p.device][p.index];
  }
  std::pair<Pos, Pos> &partsOf(SKind kind, int chunk, int mb) {
    return parts[{BlockGraph::slotOf(kind), chunk, mb}];
  }
  int addBuffer(std::string name, int device, BufferRole role, int chunk,
                uint64_t bytes);
  int localBuffer(BufferRole role, int chunk, int device) const;
  void colorByMicrobatch(int buffer, const std::function<int(int)> &firstOf,
                         const std::function<int(int)> &lastOf);
  void planStashAndLocal();
  void planMessages();
  void assignSlots(std::vector<int> &list, bool sender);
  void buildExecAndMessageNodes();
  void buildStreamOrder();
  Pos bucketPart(SKind kind, int chunk, int mb, int bucket, int buckets);
  void addCollectiveWaits(int node, const sched::CollectiveEvent &c);
  void buildReduceNodes();
  bool order(std::vector<int> &sorted);
  Action makeExec(const Node &n);
  Action makeTransfer(const Node &n) const;
  Action makeReduce(const Node &n) const;
  SlotRef messageSlot(bool gradient, int boundary, int mb, int device,
                      bool incoming);

  const sched::Problem &problem;
  const sched::Schedule &schedule;
  const sched::SimResult &sim;
  BlockGraph graph;

  std::map<LogicalKey, std::pair<Pos, Pos>> parts; // first and last part
  std::vector<Buffer> buffers;
  /// (buffer, mb) -> slot for buffers whose users are found by microbatch.
  std::map<std::pair<int, int>, int> slotOf;
  /// Buffer of each (role, chunk, device).
  std::map<std::tuple<int, int, int>, int> bufferOf;
  std::vector<Message> messages;
  std::map<std::tuple<bool, int, int>, int> messageOf; // (grad, boundary, mb)
  std::vector<Node> nodes;
  std::vector<std::vector<int>> execNode; // [device][index]
};
} // namespace

int PlanBuilder::addBuffer(std::string name, int device, BufferRole role,
                           int chunk, uint64_t bytes) {
  Buffer b;
  b.name = std::move(name);
  b.device = device;
  b.role = role;
  b.chunk = chunk;
  b.bytes = bytes;
  buffers.push_back(b);
  int id = int(buffers.size()) - 1;
  bufferOf[{int(role), chunk, device}] = id;
  return id;
}

int PlanBuilder::localBuffer(BufferRole role, int chunk, int device) const {
  auto it = bufferOf.find({int(role), chunk, device});
  return it == bufferOf.end() ? -1 : it->second;
}

/// Slots by program order: a microbatch takes a slot at `firstOf(mb)` and
/// frees it after `lastOf(mb)` (positions on the buffer's device).
void PlanBuilder::colorByMicrobatch(int buffer,
                                    const std::function<int(int)> &firstOf,
                                    const std::function<int(int)> &lastOf) {
  int numMb = problem.numMicrobatches;
  std::vector<std::pair<int, int>> items;
  for (int mb = 0; mb < numMb; ++mb)
    items.push_back({firstOf(mb), lastOf(mb)});
  std::vector<int> byStart(items.size());
  for (size_t i = 0; i < items.size(); ++i)
    byStart[i] = int(i);
  std::sort(byStart.begin(), byStart.end(),
            [&](int a, int b) { return items[a].first < items[b].first; });
  std::vector<int> busyUntil;
  for (int i : byStart) {
    int chosen = -1;
    for (size_t s = 0; s < busyUntil.size() && chosen < 0; ++s)
      if (busyUntil[s] < items[i].first)
        chosen = int(s);
    if (chosen < 0) {
      chosen = int(busyUntil.size());
      busyUntil.push_back(0);
    }
    busyUntil[chosen] = items[i].second;
    slotOf[{buffer, i}] = chosen;
  }
  buffers[buffer].slots = std::max<int>(1, int(busyUntil.size()));
}

void PlanBuilder::planStashAndLocal() {
  int numChunks = problem.numChunks();
  SKind release = graph.releaseKind(), bwd = graph.backwardKind();
  for (int c = 0; c < numChunks; ++c) {
    const sched::Chunk &chunk = problem.chunks[c];
    int stash = addBuffer("stash" + std::to_string(c), chunk.device,
                          BufferRole::Stash, c, chunk.activationBytes);
    colorByMicrobatch(
        stash, [&](int mb) { return partsOf(SKind::F, c, mb).first.index; },
        [&](int mb) { return partsOf(release, c, mb).second.index; });
    int pgrad = addBuffer("pgrad" + std::to_string(c), chunk.device,
                          BufferRole::ParamGrad, c, chunk.gradientBytes);
    buffers[pgrad].slots = 1;
    if (c + 1 == numChunks || problem.chunks[c + 1].device != chunk.device)
      continue;
    // Both ends on one device: one buffer per direction, ordered by the
    // compute stream alone.
    std::string dev = "_d" + std::to_string(chunk.device);
    int act = addBuffer("act" + std::to_string(c) + dev, chunk.device,
                        BufferRole::Act, c, chunk.messageBytes);
    colorByMicrobatch(
        act, [&](int mb) { return partsOf(SKind::F, c, mb).first.index; },
        [&](int mb) { return partsOf(SKind::F, c + 1, mb).second.index; });
    int grad = addBuffer("grad" + std::to_string(c) + dev, chunk.device,
                         BufferRole::Grad, c, chunk.messageBytes);
    colorByMicrobatch(
        grad, [&](int mb) { return partsOf(bwd, c + 1, mb).first.index; },
        [&](int mb) { return partsOf(bwd, c, mb).second.index; });
  }
}

void PlanBuilder::planMessages() {
  SKind bwd = graph.backwardKind();
  for (const sched::TransferEvent &t : sim.transfers) {
    Message m;
    m.event = &t;
    m.boundary = t.boundary();
    int consumerChunk = t.gradient ? t.chunk - 1 : t.chunk + 1;
    SKind kind = t.gradient ? bwd : SKind::F;
    m.producer = partsOf(kind, t.chunk, t.mb).second;
    m.consumer = partsOf(kind, consumerChunk, t.mb).first;
    m.consumerLast = partsOf(kind, consumerChunk, t.mb).second;
    messageOf[{t.gradient, m.boundary, t.mb}] = int(messages.size());
    messages.push_back(m);
  }
  // One send and one receive buffer per direction of each boundary; slots
  // by simulated lifetime, processed in the order their stream runs them
  // so a slot's previous user is always earlier on the same stream.
  std::map<std::tuple<bool, int, int>, std::vector<int>> bySender, byReceiver;
  for (size_t i = 0; i < messages.size(); ++i) {
    const sched::TransferEvent &t = *messages[i].event;
    int boundary = messages[i].boundary;
    bySender[{t.gradient, boundary, t.srcDevice}].push_back(int(i));
    byReceiver[{t.gradient, boundary, t.dstDevice}].push_back(int(i));
  }
  for (auto &[key, list] : bySender)
    assignSlots(list, /*sender=*/true);
  for (auto &[key, list] : byReceiver)
    assignSlots(list, /*sender=*/false);
}

/// The receive order of a stream: by send time, then sender, then producer.
static bool receivedBefore(const Message &x, const Message &y) {
  return std::make_tuple(x.event->sendMs, x.event->srcDevice,
                         x.producer.index) <
         std::make_tuple(y.event->sendMs, y.event->srcDevice, y.producer.index);
}

void PlanBuilder::assignSlots(std::vector<int> &list, bool sender) {
  const sched::TransferEvent &first = *messages[list.front()].event;
  int device = sender ? first.srcDevice : first.dstDevice;
  BufferRole role = first.gradient ? BufferRole::Grad : BufferRole::Act;
  int boundary = messages[list.front()].boundary;
  std::string name = (first.gradient ? "grad" : "act") +
                     std::to_string(boundary) + "_d" + std::to_string(device);
  int buffer = addBuffer(name, device, role, boundary,
                         problem.chunks[boundary].messageBytes);
  std::stable_sort(list.begin(), list.end(), [&](int a, int b) {
    const Message &x = messages[a], &y = messages[b];
    if (sender)
      return x.producer.index < y.producer.index;
    return receivedBefore(x, y);
  });
  constexpr double eps = 1e-9;
  std::vector<double> freeAt;
  std::vector<int> lastUser;
  for (int i : list) {
    Message &m = messages[i];
    const sched::Block &producer = blockAt(m.producer);
    double start =
        sender
            ? timeAt(partsOf(producer.kind, m.event->chunk, m.event->mb).first)
                  .startMs
            : m.event->sendMs;
    double end =
        sender ? m.event->occupancy.endMs : timeAt(m.consumerLast).endMs;
    int chosen = -1;
    for (size_t s = 0; s < freeAt.size() && chosen < 0; ++s)
      if (freeAt[s] <= start + eps)
        chosen = int(s);
    if (chosen < 0) {
      chosen = int(freeAt.size());
      freeAt.push_back(0);
      lastUser.push_back(-1);
    }
    int prev = lastUser[chosen];
    if (sender) {
      m.send = {buffer, chosen};
      m.sendSlotPrev = prev;
    } else {
      m.recv = {buffer, chosen};
      if (prev >= 0)
        m.recvSlotPrevReader = messages[prev].consumerLast;
    }
    freeAt[chosen] = std::max(end, start);
    lastUser[chosen] = i;
  }
  buffers[buffer].slots = std::max<int>(1, int(freeAt.size()));
}

void PlanBuilder::buildExecAndMessageNodes() {
  int numDevices = problem.numDevices();
  execNode.assign(numDevices, {});
  for (int d = 0; d < numDevices; ++d)
    for (size_t i = 0; i < schedule.order[d].size(); ++i) {
      Node n{ActionKind::Exec, d, sim.times[d][i].startMs, int(i), {}, {}};
      if (i > 0)
        n.after.push_back(execNode[d].back());
      execNode[d].push_back(int(nodes.size()));
      nodes.push_back(n);
    }
  for (size_t i = 0; i < messages.size(); ++i) {
    Message &m = messages[i];
    // Issued with its send, at the send's time (order()).
    Node recv{ActionKind::Recv, m.event->dstDevice, m.event->sendMs, int(i),
              {}, {}};
    if (m.recvSlotPrevReader.device >= 0)
      recv.waits.push_back(
          execNode[m.recvSlotPrevReader.device][m.recvSlotPrevReader.index]);
    m.recvNode = int(nodes.size());
    nodes.push_back(recv);
    Node send{
        ActionKind::Send, m.event->srcDevice, m.event->sendMs, int(i), {}, {}};
    send.waits.push_back(execNode[m.producer.device][m.producer.index]);
    send.after.push_back(m.recvNode);
    m.sendNode = int(nodes.size());
    nodes.push_back(send);
  }
  // Inputs from other devices, and send slots that must be free again.
  for (Message &m : messages) {
    nodes[execNode[m.consumer.device][m.consumer.index]].waits.push_back(
        m.recvNode);
    if (m.sendSlotPrev < 0)
      continue;
    const sched::Block &producer = blockAt(m.producer);
    Pos first = partsOf(producer.kind, producer.chunk, producer.mb).first;
    nodes[execNode[first.device][first.index]].waits.push_back(
        messages[m.sendSlotPrev].sendNode);
  }
}

/// Stream FIFO order: sends by producer, receives in sender order.
void PlanBuilder::buildStreamOrder() {
  std::map<std::pair<int, bool>, std::vector<int>> sendStreams, recvStreams;
  for (Message &m : messages) {
    sendStreams[{m.event->srcDevice, m.event->gradient}].push_back(m.sendNode);
    recvStreams[{m.event->dstDevice, m.event->gradient}].push_back(m.recvNode);
  }
  for (auto &[key, list] : sendStreams) {
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) {
      return messages[nodes[a].ref].producer.index <
             messages[nodes[b].ref].producer.index;
    });
    for (size_t i = 1; i < list.size(); ++i)
      nodes[list[i]].after.push_back(list[i - 1]);
  }
  for (auto &[key, list] : recvStreams) {
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) {
      return receivedBefore(messages[nodes[a].ref], messages[nodes[b].ref]);
    });
    for (size_t i = 1; i < list.size(); ++i)
      nodes[list[i]].after.push_back(list[i - 1]);
  }
}

/// The part of block (kind, chunk, mb) that completes gradient bucket
/// `bucket` of `buckets` (sched::bucketDoneMs): the last part for the whole
/// gradient.
Pos PlanBuilder::bucketPart(SKind kind, int chunk, int mb, int bucket,
                            int buckets) {
  auto [first, last] = partsOf(kind, chunk, mb);
  const std::vector<sched::Block> &order = schedule.order[first.device];
  for (int i = first.index; i <= last.index; ++i) {
    const sched::Block &b = order[i];
    if (b.kind == kind && b.chunk == chunk && b.mb == mb &&
        sched::bucketDoneMs(b, sim.times[first.device][i], bucket, buckets) >=
            0)
      return {first.device, i};
  }
  return last;
}

/// A collective's dependencies: an all-reduce or reduce-scatter waits for
/// every microbatch's part that completes its bucket (the latest of them in
/// the device's order is enough: the compute stream runs in order); the
/// chunk's first F waits for an all-gather.
void PlanBuilder::addCollectiveWaits(int node,
                                     const sched::CollectiveEvent &c) {
  if (c.kind == sched::CollectiveKind::AllGather) {
    Pos first;
    for (int mb = 0; mb < problem.numMicrobatches; ++mb) {
      Pos p = partsOf(SKind::F, c.chunk, mb).first;
      if (first.index < 0 || p.index < first.index)
        first = p;
    }
    nodes[execNode[first.device][first.index]].waits.push_back(node);
    return;
  }
  Pos last;
  for (int mb = 0; mb < problem.numMicrobatches; ++mb) {
    Pos p = bucketPart(graph.releaseKind(), c.chunk, mb, c.bucket,
                       problem.dpBuckets);
    if (p.index > last.index)
      last = p;
  }
  nodes[node].waits.push_back(execNode[last.device][last.index]);
}

/// DP collectives on each device's dp stream, in the order the simulator
/// ran them there.
void PlanBuilder::buildReduceNodes() {
  if (problem.dpDegree <= 1)
    return;
  std::map<int, std::vector<int>> dpStreams;
  for (size_t i = 0; i < sim.collectives.size(); ++i) {
    const sched::CollectiveEvent &c = sim.collectives[i];
    Node n{ActionKind::Reduce, c.device, c.time.startMs, int(i), {}, {}};
    int node = int(nodes.size());
    nodes.push_back(n);
    addCollectiveWaits(node, c);
    dpStreams[c.device].push_back(node);
  }
  for (auto &[device, list] : dpStreams) {
    std::stable_sort(list.begin(), list.end(),
                     [&](int a, int b) { return nodes[a].key < nodes[b].key; });
    for (size_t i = 1; i < list.size(); ++i)
      nodes[list[i]].after.push_back(list[i - 1]);
  }
}

/// Kahn's algorithm, earliest simulated time first; at equal times
/// receives are posted first and sends follow their producers. A message's
/// receive and send are issued together, right after each other, as one
/// unit at its send time: every device then issues its NCCL operations in
/// the order of this one sequence, which NCCL needs to guarantee progress
/// across communicators (Runtime/IssueOrder.h).
bool PlanBuilder::order(std::vector<int> &sorted) {
  std::vector<int> unitOf(nodes.size());
  std::vector<std::vector<int>> members(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    unitOf[i] = int(i);
  for (const Message &m : messages)
    unitOf[m.sendNode] = m.recvNode;
  for (size_t i = 0; i < nodes.size(); ++i)
    members[unitOf[i]].push_back(int(i)); // a receive before its send
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> users(nodes.size());
  for (size_t u = 0; u < nodes.size(); ++u) {
    std::vector<int> deps;
    for (int i : members[u])
      for (const std::vector<int> *list : {&nodes[i].waits, &nodes[i].after})
        for (int d : *list)
          if (unitOf[d] != int(u))
            deps.push_back(unitOf[d]);
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    pending[u] = int(deps.size());
    for (int d : deps)
      users[d].push_back(int(u));
  }
  using Entry = std::tuple<double, int, int, int>; // key, kind, device, unit
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
  auto push = [&](int u) {
    const Node &last = nodes[members[u].back()]; // the send of a message
    ready.push({last.key, int(nodes[u].kind), last.device, u});
  };
  for (size_t u = 0; u < nodes.size(); ++u)
    if (!members[u].empty() && !pending[u])
      push(int(u));
  while (!ready.empty()) {
    int u = std::get<3>(ready.top());
    ready.pop();
    sorted.insert(sorted.end(), members[u].begin(), members[u].end());
    for (int v : users[u])
      if (--pending[v] == 0)
        push(v);
  }
  return sorted.size() == nodes.size();
}

/// The slot a block reads (incoming) or writes of a neighbouring chunk's
/// message: a receive or send slot, or the shared same-device buffer.
SlotRef PlanBuilder::messageSlot(bool gradient, int boundary, int mb,
                                 int device, bool incoming) {
  auto it = messageOf.find({gradient, boundary, mb});
  if (it != messageOf.end()) {
    const Message &m = messages[it->second];
    return incoming ? m.recv : m.send;
  }
  int buffer = localBuffer(gradient ? BufferRole::Grad : BufferRole::Act,
                           boundary, device);
  return {buffer, slotOf[{buffer, mb}]};
}

Action PlanBuilder::makeExec(const Node &n) {
  Action a;
  a.kind = ActionKind::Exec;
  a.device = n.device;
  a.anchor = {n.device, n.ref};
  a.block = blockAt(a.anchor);
  a.time = timeAt(a.anchor);
  int c = a.block.chunk, mb = a.block.mb, last = problem.numChunks() - 1;
  bool forward = a.block.kind == SKind::F;
  bool backward = a.block.kind == SKind::B || a.block.kind == SKind::D;
  if (forward && c > 0)
    a.input = messageSlot(false, c - 1, mb, n.device, true);
  if (forward && c < last)
    a.output = messageSlot(false, c, mb, n.device, false);
  if (backward && c < last)
    a.input = messageSlot(true, c, mb, n.device, true);
  if (backward && c > 0)
    a.output = messageSlot(true, c - 1, mb, n.device, false);
  int stash = localBuffer(BufferRole::Stash, c, n.device);
  a.stash = {stash, slotOf[{stash, mb}]};
  if (a.block.kind == SKind::W || a.block.kind == SKind::B)
    a.grads = localBuffer(BufferRole::ParamGrad, c, n.device);
  return a;
}

Action PlanBuilder::makeTransfer(const Node &n) const {
  const Message &m = messages[n.ref];
  const sched::TransferEvent &t = *m.event;
  bool send = n.kind == ActionKind::Send;
  Action a;
  a.kind = n.kind;
  a.device = n.device;
  a.anchor = send ? m.producer : m.consumer;
  a.gradient = t.gradient;
  a.boundary = m.boundary;
  a.mb = t.mb;
  a.src = t.srcDevice;
  a.dst = t.dstDevice;
  a.stream = t.gradient ? (send ? Stream::SendPrev : Stream::RecvNext)
                        : (send ? Stream::SendNext : Stream::RecvPrev);
  a.buffer = send ? m.send : m.recv;
  a.occupancy = t.occupancy;
  a.arrivalMs = t.arrivalMs;
  return a;
}

Action PlanBuilder::makeReduce(const Node &n) const {
  const sched::CollectiveEvent &c = sim.collectives[n.ref];
  Action a;
  a.kind = ActionKind::Reduce;
  a.device = c.device;
  a.collective = n.ref;
  a.chunk = c.chunk;
  a.gradBuffer = localBuffer(BufferRole::ParamGrad, c.chunk, c.device);
  a.time = c.time;
  a.collectiveKind = c.kind;
  a.bucket = c.bucket;
  a.buckets =
      c.kind == sched::CollectiveKind::AllGather ? 1 : problem.dpBuckets;
  return a;
}

std::string PlanBuilder::build(Plan &out) {
  for (size_t d = 0; d < schedule.order.size(); ++d)
    for (size_t i = 0; i < schedule.order[d].size(); ++i) {
      const sched::Block &b = schedule.order[d][i];
      auto &entry = partsOf(b.kind, b.chunk, b.mb);
      Pos here{int(d), int(i)};
      if (b.part == 0)
        entry.first = here;
      if (b.part == b.parts - 1)
        entry.second = here;
    }
  planStashAndLocal();
  planMessages();
  buildExecAndMessageNodes();
  buildStreamOrder();
  buildReduceNodes();
  std::vector<int> sorted;
  if (!order(sorted))
    return "cannot be planned: its transfers and buffer slots wait on each "
           "other in a cycle";
  out = Plan();
  out.numDevices = problem.numDevices();
  out.makespanMs = sim.makespanMs;
  out.buffers = buffers;
  std::vector<int> actionOf(nodes.size(), -1);
  for (int i : sorted) {
    const Node &n = nodes[i];
    Action a = n.kind == ActionKind::Exec     ? makeExec(n)
               : n.kind == ActionKind::Reduce ? makeReduce(n)
                                              : makeTransfer(n);
    for (int w : n.waits)
      a.waits.push_back(actionOf[w]);
    actionOf[i] = int(out.actions.size());
    out.actions.push_back(std::move(a));
  }
  return "";
}

std::string crosspipe::plan::buildPlan(const sched::Problem &problem,
                                       const sched::Schedule &schedule,
                                       const sched::SimResult &sim, Plan &out) {
  return PlanBuilder(problem, schedule, sim).build(out);
}
