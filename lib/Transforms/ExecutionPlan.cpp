//===- ExecutionPlan.cpp - From a schedule to an execution plan -----------===//
//
// The communication arrangement of the paper's execution engine, decided at
// compile time from the simulated timeline: which stream runs each send and
// receive, which events order them, and which buffer slot each microbatch
// uses. Slot lifetimes come from simulated times ([producer start, link
// done] for a send buffer, [send, consumer end] for a receive buffer), so
// the slot waits never bind when the run follows the model, and the slot
// count is what the schedule keeps in flight. The ops are then emitted in
// one topological order, sorted by simulated time, of all devices' work.
// The plan verifier lives in PlanOp::verifyExecution; the pass
// --crosspipe-verify-plan is a thin wrapper around it.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Interop/ScheduleInterop.h"
#include "crosspipe/Transforms/Passes.h"
#include "crosspipe/Transforms/SimulatedSchedule.h"

#include "mlir/IR/SymbolTable.h"

#include <map>
#include <queue>
#include <tuple>

namespace crosspipe {
#define GEN_PASS_DEF_EXECUTIONPLAN
#define GEN_PASS_DEF_VERIFYPLAN
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;
using SKind = sched::BlockKind;

namespace {
/// A block's place in its device's order.
struct Pos {
  int device = -1;
  int index = -1;
};

/// A buffer of the plan: its symbol, and per microbatch the slot it uses.
struct PlannedBuffer {
  std::string name;
  int device = 0;
  BufferRole role = BufferRole::stash;
  int chunk = 0;
  int slots = 0;
  uint64_t bytes = 0;
};

/// One cross-device message and what the plan decides for it.
struct Message {
  const sched::TransferEvent *event = nullptr;
  /// The stage boundary it crosses, named by its lower chunk as in the IR
  /// (the simulator names a message by its producer).
  int boundary = 0;
  Pos producer, consumer, consumerLast;
  int sendBuffer = -1, recvBuffer = -1, sendSlot = -1, recvSlot = -1;
  /// The message that used the send slot before (its send must complete
  /// before the producer overwrites the slot), or -1.
  int sendSlotPrev = -1;
  /// The block that last read the receive slot, or device -1.
  Pos recvSlotPrevReader;
  int sendNode = -1, recvNode = -1;
};

/// A plan op before it is created: what it waits on and what must be
/// enqueued before it.
struct Node {
  enum Kind { Recv, Exec, Send, Reduce } kind;
  int device = 0;
  double key = 0; // Simulated time that orders the issue.
  int ref = 0;    // Block index in its device, message or chunk.
  SmallVector<int, 4> waits;
  SmallVector<int, 4> after; // Order only (stream FIFO, receive first).
};

class PlanBuilder {
public:
  PlanBuilder(ScheduleOp op, const sched::Problem &problem,
              const ScheduleFromIR &read, const sched::SimResult &sim)
      : op(op), problem(problem), read(read), sim(sim) {}
  LogicalResult build(StringRef name);

private:
  using LogicalKey = std::tuple<int, int, int>; // (slot kind, chunk, mb)
  static int slotKind(SKind kind) {
    return kind == SKind::F ? 0 : kind == SKind::W ? 2 : 1;
  }
  SKind backwardKind() const {
    return problem.splitBackward ? SKind::D : SKind::B;
  }
  const sched::Block &blockAt(Pos p) const {
    return read.schedule.order[p.device][p.index];
  }
  const sched::Interval &timeAt(Pos p) const {
    return sim.times[p.device][p.index];
  }
  int addBuffer(std::string name, int device, BufferRole role, int chunk,
                uint64_t bytes);
  void planStashAndLocal();
  void planMessages();
  LogicalResult buildNodes();
  LogicalResult order(SmallVector<int> &sorted);
  void emit(StringRef name, ArrayRef<int> sorted);

  ScheduleOp op;
  const sched::Problem &problem;
  const ScheduleFromIR &read;
  const sched::SimResult &sim;

  std::map<LogicalKey, std::pair<Pos, Pos>> parts; // first and last part
  std::vector<PlannedBuffer> buffers;
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
  PlannedBuffer b;
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

/// Slots by program order: a slot is taken at `first` and free after
/// `last`; returns the slot per item and sets `count`.
static std::vector<int> colorByPosition(ArrayRef<std::pair<int, int>> items,
                                        int &count) {
  std::vector<int> byStart(items.size());
  for (size_t i = 0; i < items.size(); ++i)
    byStart[i] = int(i);
  llvm::sort(byStart, [&](int a, int b) {
    return items[a].first < items[b].first;
  });
  std::vector<int> slot(items.size(), -1), busyUntil;
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
    slot[i] = chosen;
  }
  count = std::max<int>(1, int(busyUntil.size()));
  return slot;
}

void PlanBuilder::planStashAndLocal() {
  int numChunks = problem.numChunks(), numMb = problem.numMicrobatches;
  SKind release = problem.splitBackward ? SKind::W : SKind::B;
  auto lifetimes = [&](auto firstOf, auto lastOf, int buffer) {
    std::vector<std::pair<int, int>> items;
    for (int mb = 0; mb < numMb; ++mb)
      items.push_back({firstOf(mb), lastOf(mb)});
    int count = 0;
    std::vector<int> slots = colorByPosition(items, count);
    buffers[buffer].slots = count;
    for (int mb = 0; mb < numMb; ++mb)
      slotOf[{buffer, mb}] = slots[mb];
  };
  for (int c = 0; c < numChunks; ++c) {
    const sched::Chunk &chunk = problem.chunks[c];
    int stash = addBuffer("stash" + std::to_string(c), chunk.device,
                          BufferRole::stash, c, chunk.activationBytes);
    lifetimes(
        [&](int mb) { return parts[{0, c, mb}].first.index; },
        [&](int mb) { return parts[{slotKind(release), c, mb}].second.index; },
        stash);
    int pgrad = addBuffer("pgrad" + std::to_string(c), chunk.device,
                          BufferRole::param_grad, c, chunk.gradientBytes);
    buffers[pgrad].slots = 1;
    if (c + 1 == numChunks || problem.chunks[c + 1].device != chunk.device)
      continue;
    // Both ends on one device: one buffer per direction, ordered by the
    // compute stream alone.
    std::string dev = "_d" + std::to_string(chunk.device);
    int act = addBuffer("act" + std::to_string(c) + dev, chunk.device,
                        BufferRole::act, c, chunk.messageBytes);
    lifetimes([&](int mb) { return parts[{0, c, mb}].first.index; },
              [&](int mb) { return parts[{0, c + 1, mb}].second.index; },
              act);
    int bwd = slotKind(backwardKind());
    int grad = addBuffer("grad" + std::to_string(c) + dev, chunk.device,
                         BufferRole::grad, c, chunk.messageBytes);
    lifetimes([&](int mb) { return parts[{bwd, c + 1, mb}].first.index; },
              [&](int mb) { return parts[{bwd, c, mb}].second.index; }, grad);
  }
}

void PlanBuilder::planMessages() {
  int bwd = slotKind(backwardKind());
  for (const sched::TransferEvent &t : sim.transfers) {
    Message m;
    m.event = &t;
    m.boundary = t.boundary();
    int consumerChunk = t.gradient ? t.chunk - 1 : t.chunk + 1;
    int kind = t.gradient ? bwd : 0;
    m.producer = parts[{kind, t.chunk, t.mb}].second;
    m.consumer = parts[{kind, consumerChunk, t.mb}].first;
    m.consumerLast = parts[{kind, consumerChunk, t.mb}].second;
    messageOf[{t.gradient, m.boundary, t.mb}] = int(messages.size());
    messages.push_back(m);
  }
  // One send and one receive buffer per direction of each boundary; slots
  // by simulated lifetime, processed in the order their stream runs them
  // so a slot's previous user is always earlier on the same stream.
  std::map<std::tuple<bool, int, int>, std::vector<int>> bySender,
      byReceiver;
  for (size_t i = 0; i < messages.size(); ++i) {
    const sched::TransferEvent &t = *messages[i].event;
    int boundary = messages[i].boundary;
    bySender[{t.gradient, boundary, t.srcDevice}].push_back(int(i));
    byReceiver[{t.gradient, boundary, t.dstDevice}].push_back(int(i));
  }
  auto assign = [&](std::vector<int> &list, bool sender) {
    const sched::TransferEvent &first = *messages[list.front()].event;
    int device = sender ? first.srcDevice : first.dstDevice;
    BufferRole role = first.gradient ? BufferRole::grad : BufferRole::act;
    int boundary = messages[list.front()].boundary;
    std::string name = (first.gradient ? "grad" : "act") +
                       std::to_string(boundary) + "_d" +
                       std::to_string(device);
    int buffer = addBuffer(name, device, role, boundary,
                           problem.chunks[boundary].messageBytes);
    llvm::stable_sort(list, [&](int a, int b) {
      const Message &x = messages[a], &y = messages[b];
      if (sender)
        return x.producer.index < y.producer.index;
      return std::make_tuple(x.event->sendMs, x.event->srcDevice,
                             x.producer.index) <
             std::make_tuple(y.event->sendMs, y.event->srcDevice,
                             y.producer.index);
    });
    constexpr double eps = 1e-9;
    std::vector<double> freeAt;
    std::vector<int> lastUser;
    for (int i : list) {
      Message &m = messages[i];
      double start = sender ? timeAt(parts[{slotKind(blockAt(m.producer).kind),
                                            m.event->chunk, m.event->mb}]
                                         .first)
                                  .startMs
                            : m.event->sendMs;
      double end = sender ? m.event->occupancy.endMs
                          : timeAt(m.consumerLast).endMs;
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
        m.sendBuffer = buffer;
        m.sendSlot = chosen;
        m.sendSlotPrev = prev;
      } else {
        m.recvBuffer = buffer;
        m.recvSlot = chosen;
        if (prev >= 0)
          m.recvSlotPrevReader = messages[prev].consumerLast;
      }
      freeAt[chosen] = std::max(end, start);
      lastUser[chosen] = i;
    }
    buffers[buffer].slots = std::max<int>(1, int(freeAt.size()));
  };
  for (auto &[key, list] : bySender)
    assign(list, /*sender=*/true);
  for (auto &[key, list] : byReceiver)
    assign(list, /*sender=*/false);
}

LogicalResult PlanBuilder::buildNodes() {
  int numDevices = problem.numDevices();
  execNode.assign(numDevices, {});
  for (int d = 0; d < numDevices; ++d)
    for (size_t i = 0; i < read.schedule.order[d].size(); ++i) {
      Node n{Node::Exec, d, sim.times[d][i].startMs, int(i), {}, {}};
      if (i > 0)
        n.after.push_back(execNode[d].back());
      execNode[d].push_back(int(nodes.size()));
      nodes.push_back(n);
    }
  for (size_t i = 0; i < messages.size(); ++i) {
    Message &m = messages[i];
    Node recv{Node::Recv, m.event->dstDevice, -1.0, int(i), {}, {}};
    if (m.recvSlotPrevReader.device >= 0) {
      recv.waits.push_back(execNode[m.recvSlotPrevReader.device]
                                   [m.recvSlotPrevReader.index]);
      recv.key = timeAt(m.recvSlotPrevReader).endMs;
    }
    m.recvNode = int(nodes.size());
    nodes.push_back(recv);
    Node send{Node::Send, m.event->srcDevice, m.event->sendMs, int(i), {}, {}};
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
    Pos first = parts[{slotKind(producer.kind), producer.chunk, producer.mb}]
                    .first;
    nodes[execNode[first.device][first.index]].waits.push_back(
        messages[m.sendSlotPrev].sendNode);
  }
  // Stream FIFO order: sends by producer, receives in sender order.
  std::map<std::pair<int, bool>, std::vector<int>> sendStreams, recvStreams;
  for (Message &m : messages) {
    sendStreams[{m.event->srcDevice, m.event->gradient}].push_back(m.sendNode);
    recvStreams[{m.event->dstDevice, m.event->gradient}].push_back(m.recvNode);
  }
  for (auto &[key, list] : sendStreams) {
    llvm::stable_sort(list, [&](int a, int b) {
      return messages[nodes[a].ref].producer.index <
             messages[nodes[b].ref].producer.index;
    });
    for (size_t i = 1; i < list.size(); ++i)
      nodes[list[i]].after.push_back(list[i - 1]);
  }
  for (auto &[key, list] : recvStreams) {
    llvm::stable_sort(list, [&](int a, int b) {
      const Message &x = messages[nodes[a].ref], &y = messages[nodes[b].ref];
      return std::make_tuple(x.event->sendMs, x.event->srcDevice,
                             x.producer.index) <
             std::make_tuple(y.event->sendMs, y.event->srcDevice,
                             y.producer.index);
    });
    for (size_t i = 1; i < list.size(); ++i)
      nodes[list[i]].after.push_back(list[i - 1]);
  }
  // DP all-reduces after each chunk's last gradient block, in the order
  // the simulator ran them on each device's dp stream.
  if (problem.dpDegree > 1) {
    SKind release = problem.splitBackward ? SKind::W : SKind::B;
    std::map<int, std::vector<int>> dpStreams;
    for (size_t i = 0; i < sim.collectives.size(); ++i) {
      const sched::CollectiveEvent &c = sim.collectives[i];
      Pos last;
      for (int mb = 0; mb < problem.numMicrobatches; ++mb) {
        Pos p = parts[{slotKind(release), c.chunk, mb}].second;
        if (p.index > last.index)
          last = p;
      }
      Node n{Node::Reduce, c.device, c.time.startMs, int(i), {}, {}};
      n.waits.push_back(execNode[last.device][last.index]);
      dpStreams[c.device].push_back(int(nodes.size()));
      nodes.push_back(n);
    }
    for (auto &[device, list] : dpStreams) {
      llvm::stable_sort(list, [&](int a, int b) {
        return nodes[a].key < nodes[b].key;
      });
      for (size_t i = 1; i < list.size(); ++i)
        nodes[list[i]].after.push_back(list[i - 1]);
    }
  }
  return success();
}

LogicalResult PlanBuilder::order(SmallVector<int> &sorted) {
  // Kahn's algorithm, earliest simulated time first; at equal times
  // receives are posted first and sends follow their producers.
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> users(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    SmallVector<int, 8> deps(nodes[i].waits.begin(), nodes[i].waits.end());
    deps.append(nodes[i].after.begin(), nodes[i].after.end());
    llvm::sort(deps);
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    pending[i] = int(deps.size());
    for (int d : deps)
      users[d].push_back(int(i));
  }
  using Entry = std::tuple<double, int, int, int>; // key, kind, device, node
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!pending[i])
      ready.push({nodes[i].key, nodes[i].kind, nodes[i].device, int(i)});
  while (!ready.empty()) {
    int i = std::get<3>(ready.top());
    ready.pop();
    sorted.push_back(i);
    for (int u : users[i])
      if (--pending[u] == 0)
        ready.push({nodes[u].key, nodes[u].kind, nodes[u].device, u});
  }
  if (sorted.size() == nodes.size())
    return success();
  return op.emitOpError("cannot be planned: its transfers and buffer slots "
                        "wait on each other in a cycle");
}

void PlanBuilder::emit(StringRef name, ArrayRef<int> sorted) {
  MLIRContext *ctx = op.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(op);
  auto plan = b.create<PlanOp>(
      op.getLoc(), b.getStringAttr(name),
      FlatSymbolRefAttr::get(ctx, op.getSymName()),
      b.getI64IntegerAttr(problem.numDevices()),
      TimeAttr::get(ctx, sim.makespanMs));
  plan.getBody().emplaceBlock();
  b.setInsertionPointToEnd(&plan.getBody().front());
  auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
  auto sym = [&](int buffer) {
    return FlatSymbolRefAttr::get(ctx, buffers[buffer].name);
  };
  auto time = [&](double ms) { return TimeAttr::get(ctx, ms); };
  auto named = [&](StringRef n, Attribute a) {
    return NamedAttribute(b.getStringAttr(n), a);
  };
  for (const PlannedBuffer &buf : buffers)
    b.create<BufferOp>(
        op.getLoc(), TypeRange{}, ValueRange{},
        ArrayRef<NamedAttribute>{
            named("sym_name", b.getStringAttr(buf.name)),
            named("device", i64(buf.device)),
            named("role", BufferRoleAttr::get(ctx, buf.role)),
            named("chunk", i64(buf.chunk)), named("slots", i64(buf.slots)),
            named("size", BytesAttr::get(ctx, buf.bytes))});

  Type none = b.getNoneType();
  std::vector<Value> results(nodes.size());
  auto localBuffer = [&](BufferRole role, int chunk, int device) {
    auto it = bufferOf.find({int(role), chunk, device});
    return it == bufferOf.end() ? -1 : it->second;
  };
  for (int i : sorted) {
    const Node &n = nodes[i];
    SmallVector<Value> waits;
    for (int w : n.waits)
      waits.push_back(results[w]);
    SmallVector<NamedAttribute> attrs;
    Operation *created = nullptr;
    if (n.kind == Node::Exec) {
      Pos pos{n.device, n.ref};
      const sched::Block &block = blockAt(pos);
      ComputeOp compute = read.ops[n.device][n.ref];
      int c = block.chunk, mb = block.mb;
      attrs = {named("kind", compute.getKindAttr()), named("chunk", i64(c)),
               named("mb", i64(mb)), named("device", i64(n.device)),
               named("start", time(timeAt(pos).startMs)),
               named("end", time(timeAt(pos).endMs))};
      if (block.parts > 1) {
        attrs.push_back(named("part", i64(block.part)));
        attrs.push_back(named("parts", i64(block.parts)));
      }
      bool forward = block.kind == SKind::F;
      bool backward = block.kind == SKind::B || block.kind == SKind::D;
      // Input: the message arriving from the neighbouring chunk, either
      // through a receive slot or through the shared same-device buffer.
      auto attach = [&](StringRef what, StringRef slotName, bool gradient,
                        int boundary, bool incoming) {
        auto it = messageOf.find({gradient, boundary, mb});
        int buffer, slot;
        if (it != messageOf.end()) {
          const Message &m = messages[it->second];
          buffer = incoming ? m.recvBuffer : m.sendBuffer;
          slot = incoming ? m.recvSlot : m.sendSlot;
        } else {
          buffer = localBuffer(gradient ? BufferRole::grad : BufferRole::act,
                               boundary, n.device);
          slot = slotOf[{buffer, mb}];
        }
        attrs.push_back(named(what, sym(buffer)));
        attrs.push_back(named(slotName, i64(slot)));
      };
      int last = problem.numChunks() - 1;
      if (forward && c > 0)
        attach("input", "input_slot", false, c - 1, true);
      if (forward && c < last)
        attach("output", "output_slot", false, c, false);
      if (backward && c < last)
        attach("input", "input_slot", true, c, true);
      if (backward && c > 0)
        attach("output", "output_slot", true, c - 1, false);
      int stash = localBuffer(BufferRole::stash, c, n.device);
      attrs.push_back(named("stash", sym(stash)));
      attrs.push_back(named("stash_slot", i64(slotOf[{stash, mb}])));
      if (block.kind == SKind::W || block.kind == SKind::B)
        attrs.push_back(named(
            "grads", sym(localBuffer(BufferRole::param_grad, c, n.device))));
      created = b.create<ExecOp>(compute.getLoc(), TypeRange{none}, waits,
                                 attrs);
    } else if (n.kind == Node::Send || n.kind == Node::Recv) {
      const Message &m = messages[n.ref];
      const sched::TransferEvent &t = *m.event;
      bool send = n.kind == Node::Send;
      PlanStream stream =
          t.gradient ? (send ? PlanStream::send_prev : PlanStream::recv_next)
                     : (send ? PlanStream::send_next : PlanStream::recv_prev);
      attrs = {named("kind", TransferKindAttr::get(
                                 ctx, t.gradient ? TransferKind::grad
                                                 : TransferKind::act)),
               named("chunk", i64(m.boundary)), named("mb", i64(t.mb)),
               named("src", i64(t.srcDevice)), named("dst", i64(t.dstDevice)),
               named("stream", PlanStreamAttr::get(ctx, stream)),
               named("buffer", sym(send ? m.sendBuffer : m.recvBuffer)),
               named("slot", i64(send ? m.sendSlot : m.recvSlot))};
      ComputeOp anchor = send ? read.ops[m.producer.device][m.producer.index]
                              : read.ops[m.consumer.device][m.consumer.index];
      Location loc = anchor.getLoc();
      if (send) {
        attrs.push_back(named("start", time(t.occupancy.startMs)));
        attrs.push_back(named("end", time(t.occupancy.endMs)));
        created = b.create<SendOp>(loc, TypeRange{none}, waits, attrs);
      } else {
        attrs.push_back(named("arrival", time(t.arrivalMs)));
        created = b.create<RecvOp>(loc, TypeRange{none}, waits, attrs);
      }
    } else {
      const sched::CollectiveEvent &c = sim.collectives[n.ref];
      attrs = {named("chunk", i64(c.chunk)), named("device", i64(c.device)),
               named("buffer", sym(localBuffer(BufferRole::param_grad,
                                               c.chunk, c.device))),
               named("start", time(c.time.startMs)),
               named("end", time(c.time.endMs))};
      created = b.create<DpAllReduceOp>(op.getLoc(), TypeRange{none}, waits,
                                        attrs);
    }
    results[i] = created->getResult(0);
  }
}

LogicalResult PlanBuilder::build(StringRef name) {
  for (size_t d = 0; d < read.schedule.order.size(); ++d)
    for (size_t i = 0; i < read.schedule.order[d].size(); ++i) {
      const sched::Block &b = read.schedule.order[d][i];
      auto &entry = parts[{slotKind(b.kind), b.chunk, b.mb}];
      Pos here{int(d), int(i)};
      if (b.part == 0)
        entry.first = here;
      if (b.part == b.parts - 1)
        entry.second = here;
    }
  planStashAndLocal();
  planMessages();
  SmallVector<int> sorted;
  if (failed(buildNodes()) || failed(order(sorted)))
    return failure();
  emit(name, sorted);
  return success();
}

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

namespace {
struct ExecutionPlanPass
    : crosspipe::impl::ExecutionPlanBase<ExecutionPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ScheduleOp> schedules;
    for (ScheduleOp s : module.getOps<ScheduleOp>())
      if (scheduleName.empty() || s.getSymName() == scheduleName)
        schedules.push_back(s);
    if (!scheduleName.empty() && schedules.empty()) {
      emitError(module.getLoc(), "no crosspipe.schedule named '")
          << scheduleName << "' to plan";
      return signalPassFailure();
    }
    for (ScheduleOp s : schedules)
      if (failed(planOne(module, s)))
        return signalPassFailure();
  }

  LogicalResult planOne(ModuleOp module, ScheduleOp s) {
    FailureOr<LoadedSchedule> loaded = loadScheduleOp(s);
    if (failed(loaded))
      return failure();
    sched::Problem *problem = &loaded->problem;
    ScheduleFromIR *read = &loaded->read;
    if (problem->dpBuckets > 1 || problem->zero1)
      return s.emitOpError("has bucketed or ZeRO-1 data-parallel collectives "
                           "(--crosspipe-dp-overlap), which execution plans "
                           "do not lower yet; plan it without them");
    sched::SimResult sim = sched::simulate(*problem, read->schedule);
    if (!sim.ok)
      return s.emitOpError("cannot be planned: ")
             << sim.error << " (run --crosspipe-verify-schedule for details)";
    std::string name = (s.getSymName() + "_plan").str();
    if (Operation *old = SymbolTable::lookupSymbolIn(module, name))
      old->erase();
    return PlanBuilder(s, *problem, *read, sim).build(name);
  }
};

struct VerifyPlanPass : crosspipe::impl::VerifyPlanBase<VerifyPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    for (PlanOp plan : getOperation().getOps<PlanOp>())
      if (failed(plan.verifyExecution()))
        return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
