//===- PlanCheck.cpp - The proof that an execution plan runs --------------===//
//
// The checks of PlanCheck.h over plan data, in the order the
// --crosspipe-verify-plan pass reports them: the data's shape, duplicate
// blocks and messages, the programs, the transfers and their channels, the
// data each consumer reads, the reductions, the buffer slots, and finally
// the abstract run that proves the NCCL program deadlock-free. Which block
// feeds which comes from the block graph (crosspipe/Schedule/BlockGraph.h).
// Every message is built here so the pass only places it at an op.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Plan/PlanCheck.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace crosspipe;
using namespace crosspipe::plan;
using sched::BlockGraph;
using sched::Step;
using SKind = sched::BlockKind;

namespace {
/// (kind, chunk, mb, part) of a block.
using BlockKey = std::tuple<int, int, int, int>;
/// (gradient, boundary, mb) of a message; with src and dst it is unique.
using TransferKey = std::tuple<int, int, int>;
/// (gradient, src, dst): one NCCL communicator.
using ChannelKey = std::tuple<int, int, int>;
/// (device, stream): one FIFO queue.
using QueueKey = std::pair<int, int>;

struct Halves {
  int send = -1, recv = -1;
};

/// A device's streams, numbered as the dialect's PlanStream so the deadlock
/// report lists stuck streams in the order it always has.
enum StreamId { Compute, SendNext, RecvNext, SendPrev, RecvPrev, Dp };

const char *streamName(int stream) {
  static const char *const names[] = {"compute",   "send_next", "recv_next",
                                      "send_prev", "recv_prev", "dp"};
  return names[stream];
}

int streamOf(const Action &a) {
  if (a.kind == ActionKind::Exec)
    return Compute;
  if (a.kind == ActionKind::Reduce)
    return Dp;
  switch (a.stream) {
  case Stream::SendNext:
    return SendNext;
  case Stream::RecvNext:
    return RecvNext;
  case Stream::SendPrev:
    return SendPrev;
  case Stream::RecvPrev:
    return RecvPrev;
  }
  return SendNext;
}

bool isTransfer(const Action &a) {
  return a.kind == ActionKind::Send || a.kind == ActionKind::Recv;
}

BlockKey keyOf(const sched::Block &b) {
  return {int(b.kind), b.chunk, b.mb, b.part};
}

TransferKey keyOf(const Action &a) {
  return {int(a.gradient), a.boundary, a.mb};
}

/// Two references to one slot; references to no buffer are all equal.
bool sameSlot(SlotRef a, SlotRef b) {
  return a.buffer == b.buffer && (a.buffer < 0 || a.slot == b.slot);
}

std::string num(int64_t v) { return std::to_string(v); }

/// A fixed-size bit set (the library uses no third-party containers).
class Bits {
public:
  explicit Bits(size_t n = 0) : words((n + 63) / 64) {}
  void set(size_t i) { words[i / 64] |= uint64_t(1) << (i % 64); }
  bool test(size_t i) const { return (words[i / 64] >> (i % 64)) & 1; }
  Bits &operator|=(const Bits &o) {
    for (size_t i = 0; i < words.size(); ++i)
      words[i] |= o.words[i];
    return *this;
  }

private:
  std::vector<uint64_t> words;
};

class Checker {
public:
  Checker(const Plan &plan, const PlanSubject &subject)
      : plan(plan), problem(subject.problem), schedule(subject.schedule),
        programs(subject.programs), graph(subject.problem),
        numChunks(subject.problem.numChunks()),
        numMb(subject.problem.numMicrobatches) {}
  Fault run();

private:
  /// Records the first fault; returns false so checks can `return fail(..)`.
  bool fail(FaultKind kind, int where, std::string message,
            std::vector<FaultNote> notes = {}) {
    fault = {kind, where, std::move(message), std::move(notes)};
    return false;
  }
  FaultNote note(int action, std::string text) const {
    return {action, Pos(), std::move(text)};
  }
  const Action &at(int i) const { return plan.actions[i]; }
  std::string describe(int i) const { return describeAction(at(i)); }

  bool checkShape();
  bool checkActionShape(int i);
  bool collect();
  bool recordTransfer(int i);
  bool checkPrograms();
  bool checkProgramsPresent(const std::vector<int> &devices);
  bool checkProgram(int device);
  bool checkTransfers();
  bool checkTransfer(const TransferKey &key, const Halves &t,
                     const std::map<TransferKey, std::pair<int, int>> &needed);
  bool checkChannels();
  void buildHappensBefore();
  bool happensBefore(int a, int b) const;
  bool requireBefore(int a, int b, const std::string &why);
  int lastPart(SKind kind, int chunk, int mb) const;
  bool checkData();
  bool checkInput(int consumer, Step from, Step to);
  bool checkReductions();
  bool checkSlots();
  bool checkDeadlock();
  bool eventsDone(int i) const;
  int partnerOf(int i) const;
  bool atHead(int i) const;
  bool reportDeadlock();

  const Plan &plan;
  const sched::Problem &problem;
  const sched::Schedule &schedule;
  std::vector<int> programs;
  BlockGraph graph;
  int numChunks, numMb;
  Fault fault;

  std::map<BlockKey, int> execs;
  std::map<TransferKey, Halves> transfers;
  /// Per device: its actions in order, and for each the set of them (by
  /// position in that list) that complete before it starts.
  std::vector<std::vector<int>> deviceOps;
  std::vector<int> devicePos;
  std::vector<std::vector<Bits>> before;

  /// The abstract run: FIFO queues, their heads, and what has completed.
  std::map<QueueKey, std::vector<int>> queues;
  std::map<QueueKey, size_t> head;
  std::vector<QueueKey> queueOf;
  std::vector<bool> done;
};
} // namespace

//===----------------------------------------------------------------------===//
// Shape and collection
//===----------------------------------------------------------------------===//

/// What the op verifiers guarantee of IR, checked here so that hand-made
/// data cannot index out of range. Never fires on a plan read from verified
/// IR.
bool Checker::checkShape() {
  if (plan.numDevices < 1)
    return fail(FaultKind::Malformed, -1,
                "expects at least one device, got " + num(plan.numDevices));
  for (int i = 0; i < int(plan.actions.size()); ++i)
    if (!checkActionShape(i))
      return false;
  return true;
}

bool Checker::checkActionShape(int i) {
  const Action &a = at(i);
  int peer = a.kind == ActionKind::Send   ? a.dst
             : a.kind == ActionKind::Recv ? a.src
                                          : a.device;
  int home = a.kind == ActionKind::Send   ? a.src
             : a.kind == ActionKind::Recv ? a.dst
                                          : a.device;
  if (std::min(a.device, peer) < 0 ||
      std::max(a.device, peer) >= plan.numDevices || home != a.device)
    return fail(FaultKind::Malformed, i,
                "names device " + num(std::max(a.device, peer)) +
                    " but the plan has " + num(plan.numDevices) + " devices");
  int buffers = int(plan.buffers.size());
  auto bad = [&](int b, bool required) {
    return b >= buffers || b < (required ? 0 : -1);
  };
  bool badBuffer = a.kind == ActionKind::Exec
                       ? bad(a.input.buffer, false) ||
                             bad(a.output.buffer, false) ||
                             bad(a.stash.buffer, false) || bad(a.grads, false)
                   : a.kind == ActionKind::Reduce ? bad(a.gradBuffer, true)
                                                  : bad(a.buffer.buffer, true);
  if (badBuffer)
    return fail(FaultKind::Malformed, i,
                "names a buffer the plan does not have");
  for (int w : a.waits) {
    if (w < 0 || w >= i)
      return fail(FaultKind::Malformed, i,
                  "waits on an event that no earlier op of this plan records");
    if (at(w).device != a.device)
      return fail(FaultKind::Malformed, i,
                  "on device " + num(a.device) + " waits on an event of " +
                      ("device " + num(at(w).device)) +
                      "; devices synchronize only through sends and "
                      "receives");
  }
  return true;
}

bool Checker::collect() {
  deviceOps.assign(plan.numDevices, {});
  devicePos.assign(plan.actions.size(), 0);
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = at(i);
    devicePos[i] = int(deviceOps[a.device].size());
    deviceOps[a.device].push_back(i);
    if (isTransfer(a) && !recordTransfer(i))
      return false;
    if (a.kind != ActionKind::Exec)
      continue;
    const sched::Block &b = a.block;
    if (b.chunk < 0 || b.chunk >= numChunks || b.mb < 0 || b.mb >= numMb)
      return fail(FaultKind::UnknownBlock, i,
                  "names a block the pipeline does not have");
    auto [it, inserted] = execs.insert({keyOf(b), i});
    if (!inserted)
      return fail(FaultKind::DuplicateExec, i,
                  "runs " + describe(i) + " a second time",
                  {note(it->second, "first run here")});
  }
  return true;
}

bool Checker::recordTransfer(int i) {
  Halves &t = transfers[keyOf(at(i))];
  int &half = at(i).kind == ActionKind::Send ? t.send : t.recv;
  if (half >= 0)
    return fail(FaultKind::DuplicateTransfer, i, "duplicates " + describe(half),
                {note(half, "first one here")});
  half = i;
  return true;
}

//===----------------------------------------------------------------------===//
// Programs and transfers
//===----------------------------------------------------------------------===//

bool Checker::checkPrograms() {
  std::vector<int> devices = programs;
  if (devices.empty())
    for (size_t d = 0; d < schedule.order.size(); ++d)
      devices.push_back(int(d));
  if (!checkProgramsPresent(devices))
    return false;
  for (int d : devices)
    if (!checkProgram(d))
      return false;
  for (auto &[key, i] : execs) {
    int home = problem.chunks[at(i).block.chunk].device;
    if (home != at(i).device)
      return fail(FaultKind::WrongDevice, i,
                  "runs on device " + num(at(i).device) + " but chunk " +
                      num(at(i).block.chunk) + " is placed on device " +
                      num(home));
  }
  return true;
}

/// Every device that holds a chunk or runs an action has a program: a
/// schedule that leaves one out leaves that device's blocks unchecked.
bool Checker::checkProgramsPresent(const std::vector<int> &devices) {
  std::vector<bool> has(plan.numDevices, false);
  for (int d : devices)
    if (d >= 0 && d < plan.numDevices)
      has[d] = true;
  for (int d = 0; d < plan.numDevices; ++d) {
    if (has[d])
      continue;
    std::vector<int> chunks = problem.chunksOnDevice(d);
    if (chunks.empty() && deviceOps[d].empty())
      continue;
    std::string why = chunks.empty()
                          ? "runs actions on it"
                          : "chunk " + num(chunks.front()) + " is placed on it";
    return fail(FaultKind::MissingProgram, -1,
                "has no program of device " + num(d) +
                    " in its schedule, but " + why);
  }
  return true;
}

/// The compute stream of a device runs its program, in order.
bool Checker::checkProgram(int d) {
  if (d < 0 || d >= plan.numDevices)
    return fail(FaultKind::ProgramDevice, -1,
                "has " + num(plan.numDevices) +
                    " devices but its schedule has a program for device " +
                    num(d));
  static const std::vector<sched::Block> none;
  const std::vector<sched::Block> &program =
      d < int(schedule.order.size()) ? schedule.order[d] : none;
  std::vector<int> planned;
  for (int i : deviceOps[d])
    if (at(i).kind == ActionKind::Exec)
      planned.push_back(i);
  size_t next = 0;
  for (size_t k = 0; k < program.size(); ++k) {
    const sched::Block &want = program[k];
    std::string wanted = std::string(sched::blockKindName(want.kind)) +
                         " chunk " + num(want.chunk) + " mb " + num(want.mb);
    if (next == planned.size())
      return fail(FaultKind::MissingExec, -1,
                  "never runs " + wanted + " of device " + num(d) +
                      "'s program");
    int i = planned[next++];
    if (at(i).block == want)
      continue;
    return fail(FaultKind::WrongExec, i,
                "runs " + describe(i) + " where device " + num(d) +
                    "'s program runs " + wanted,
                {{-1, Pos{d, int(k)}, "scheduled block here"}});
  }
  if (next < planned.size())
    return fail(FaultKind::ExtraExec, planned[next],
                "is not in device " + num(d) + "'s program");
  return true;
}

/// Exactly the cross-device boundaries need transfers, each one send and
/// one receive between the chunks' devices, the receive issued first.
bool Checker::checkTransfers() {
  std::map<TransferKey, std::pair<int, int>> needed;
  for (int b = 0; b + 1 < numChunks; ++b) {
    int lower = problem.chunks[b].device, upper = problem.chunks[b + 1].device;
    if (lower == upper)
      continue;
    for (int mb = 0; mb < numMb; ++mb) {
      needed[{0, b, mb}] = {lower, upper};
      needed[{1, b, mb}] = {upper, lower};
    }
  }
  for (auto &[key, t] : transfers)
    if (!checkTransfer(key, t, needed))
      return false;
  for (auto &[key, ends] : needed)
    if (!transfers.count(key))
      return fail(FaultKind::MissingTransfer, -1,
                  std::string("misses the transfer of ") +
                      (std::get<0>(key) ? "grad" : "act") + " chunk " +
                      num(std::get<1>(key)) + " mb " + num(std::get<2>(key)) +
                      " from device " + num(ends.first) + " to " +
                      num(ends.second));
  return checkChannels();
}

bool Checker::checkTransfer(
    const TransferKey &key, const Halves &t,
    const std::map<TransferKey, std::pair<int, int>> &needed) {
  auto it = needed.find(key);
  if (it == needed.end())
    return fail(FaultKind::LocalTransfer, t.send >= 0 ? t.send : t.recv,
                "moves data between chunks on one device, or between chunks "
                "that do not exist");
  auto [src, dst] = it->second;
  for (int half : {t.send, t.recv})
    if (half >= 0 && (at(half).src != src || at(half).dst != dst))
      return fail(FaultKind::WrongEnds, half,
                  "goes from device " + num(at(half).src) + " to " +
                      num(at(half).dst) + ", but the chunks are on devices " +
                      num(src) + " and " + num(dst));
  if (t.recv < 0)
    return fail(FaultKind::NoRecv, t.send, "has no matching crosspipe.recv");
  if (t.send < 0)
    return fail(FaultKind::NoSend, t.recv, "has no matching crosspipe.send");
  if (t.recv > t.send)
    return fail(FaultKind::RecvAfterSend, t.recv,
                "is posted after its send; a receive must precede its send "
                "in plan order",
                {note(t.send, "send here")});
  return true;
}

/// One direction of one kind between two devices is one NCCL communicator;
/// its receives must come in the order of its sends.
bool Checker::checkChannels() {
  std::map<ChannelKey, std::vector<int>> sends, recvs;
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = at(i);
    if (!isTransfer(a))
      continue;
    auto &byChannel = a.kind == ActionKind::Send ? sends : recvs;
    byChannel[{int(a.gradient), a.src, a.dst}].push_back(i);
  }
  for (auto &[channel, list] : sends) {
    const std::vector<int> &other = recvs[channel];
    for (size_t k = 0; k < std::min(list.size(), other.size()); ++k) {
      const Action &send = at(list[k]), &recv = at(other[k]);
      if (send.boundary == recv.boundary && send.mb == recv.mb)
        continue;
      return fail(FaultKind::ChannelOrder, other[k],
                  "is the receive number " + num(int64_t(k)) +
                      " on the channel from device " + num(send.src) + " to " +
                      num(send.dst) + ", but the send in that position is " +
                      describe(list[k]) +
                      "; receives must match the order of their sends",
                  {note(list[k], "send here")});
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Happens-before, data and reductions
//===----------------------------------------------------------------------===//

/// Per device: an action starts after the one before it on its stream and
/// after the events it waits on, and (transitively) after theirs.
void Checker::buildHappensBefore() {
  before.assign(deviceOps.size(), {});
  for (size_t d = 0; d < deviceOps.size(); ++d) {
    const std::vector<int> &list = deviceOps[d];
    std::vector<Bits> &sets = before[d];
    sets.assign(list.size(), Bits(list.size()));
    std::map<int, int> lastOnStream;
    for (int i = 0; i < int(list.size()); ++i) {
      auto add = [&](int j) {
        sets[i].set(j);
        sets[i] |= sets[j];
      };
      int stream = streamOf(at(list[i]));
      auto last = lastOnStream.find(stream);
      if (last != lastOnStream.end())
        add(last->second);
      lastOnStream[stream] = i;
      for (int w : at(list[i]).waits)
        add(devicePos[w]);
    }
  }
}

bool Checker::happensBefore(int a, int b) const {
  int d = at(b).device;
  if (at(a).device != d)
    return false;
  return before[d][devicePos[b]].test(devicePos[a]);
}

bool Checker::requireBefore(int a, int b, const std::string &why) {
  if (happensBefore(a, b))
    return true;
  return fail(FaultKind::NotOrdered, b,
              "may start before " + describe(a) + " completes, but " + why,
              {note(a, "see " + describe(a))});
}

/// The last part of a block, or -1 when the plan does not run it.
int Checker::lastPart(SKind kind, int chunk, int mb) const {
  auto first = execs.find({int(kind), chunk, mb, 0});
  if (first == execs.end())
    return -1;
  auto last =
      execs.find({int(kind), chunk, mb, at(first->second).block.parts - 1});
  return last == execs.end() ? -1 : last->second;
}

/// Every block that reads a neighbouring chunk's output reads the slot it
/// was written to (or received into) after that write (or receive).
bool Checker::checkData() {
  for (auto &[key, consumer] : execs) {
    const sched::Block &block = at(consumer).block;
    if (block.part != 0 || !graph.usesKind(block.kind))
      continue;
    Step to{block.kind, block.chunk};
    for (Step from : graph.inputsOf(to))
      if (BlockGraph::crossesStages(from, to) &&
          !checkInput(consumer, from, to))
        return false;
  }
  return checkReductions();
}

bool Checker::checkInput(int consumer, Step from, Step to) {
  const Action &c = at(consumer);
  int mb = c.block.mb;
  int producer = lastPart(from.kind, from.chunk, mb);
  if (producer < 0) // Only a plan that skips blocks; the programs say so.
    return true;
  if (c.input.buffer < 0)
    return fail(FaultKind::NoInput, consumer,
                "reads no input but depends on " + describe(producer));
  std::string writes = "reads a different slot than " + describe(producer);
  if (problem.chunks[from.chunk].device == problem.chunks[to.chunk].device) {
    if (!sameSlot(at(producer).output, c.input))
      return fail(FaultKind::WrongSlot, consumer, writes + " writes",
                  {note(producer, "producer here")});
    return requireBefore(producer, consumer, "it reads its output");
  }
  auto t = transfers.find({int(BlockGraph::isGradient(from)),
                           BlockGraph::boundaryOf(from, to), mb});
  if (t == transfers.end()) // checkTransfers found every needed message.
    return true;
  int send = t->second.send, recv = t->second.recv;
  if (!sameSlot(at(recv).buffer, c.input))
    return fail(FaultKind::WrongSlot, consumer,
                "reads a different slot than " + describe(recv) + " fills",
                {note(recv, "receive here")});
  if (!sameSlot(at(send).buffer, at(producer).output))
    return fail(FaultKind::WrongSlot, send, writes + " writes",
                {note(producer, "producer here")});
  return requireBefore(recv, consumer, "it reads what arrives") &&
         requireBefore(producer, send, "it sends its output");
}

/// DP all-reduces: one per chunk when the pipeline is replicated, after
/// every block that writes the chunk's parameter gradient.
bool Checker::checkReductions() {
  std::map<int, int> reduces;
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = at(i);
    if (a.kind != ActionKind::Reduce)
      continue;
    if (a.chunk < 0 || a.chunk >= numChunks ||
        problem.chunks[a.chunk].device != a.device)
      return fail(FaultKind::ReduceDevice, i,
                  "is not on the device of chunk " + num(a.chunk));
    if (!reduces.insert({a.chunk, i}).second)
      return fail(FaultKind::DuplicateReduce, i,
                  "reduces chunk " + num(a.chunk) + " a second time");
  }
  bool replicated = problem.dpDegree > 1;
  for (int c = 0; c < numChunks; ++c) {
    auto it = reduces.find(c);
    if (!replicated) {
      if (it != reduces.end())
        return fail(FaultKind::UnexpectedReduce, it->second,
                    "reduces across data parallelism, but the pipeline has "
                    "one replica");
      continue;
    }
    if (it == reduces.end())
      return fail(FaultKind::MissingReduce, -1,
                  "never all-reduces the gradient of chunk " + num(c));
    for (int mb = 0; mb < numMb; ++mb) {
      int writer = lastPart(graph.releaseKind(), c, mb);
      if (writer >= 0 && !requireBefore(writer, it->second,
                                        "it reduces the gradient it writes"))
        return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Slots and deadlock
//===----------------------------------------------------------------------===//

/// Every access to a slot must be ordered after the conflicting accesses
/// before it: a read after the last write, a write after the last write and
/// all reads since.
bool Checker::checkSlots() {
  struct SlotState {
    int lastWrite = -1;
    std::vector<int> reads;
  };
  std::map<std::pair<int, int>, SlotState> slots;
  auto access = [&](int i, SlotRef ref, bool write) {
    SlotState &s = slots[{ref.buffer, ref.slot}];
    std::string why = "both use @" + plan.buffers[ref.buffer].name + "[" +
                      num(ref.slot) + "]";
    if (s.lastWrite >= 0 && s.lastWrite != i &&
        !requireBefore(s.lastWrite, i, why))
      return false;
    if (!write) {
      s.reads.push_back(i);
      return true;
    }
    for (int read : s.reads)
      if (read != i && !requireBefore(read, i, why))
        return false;
    s.reads.clear();
    s.lastWrite = i;
    return true;
  };
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = at(i);
    bool ok = true;
    if (a.kind == ActionKind::Exec) {
      for (auto [ref, write] :
           {std::make_pair(a.input, false), std::make_pair(a.output, true),
            std::make_pair(a.stash, true),
            std::make_pair(SlotRef{a.grads, 0}, true)})
        if (ok && ref.buffer >= 0)
          ok = access(i, ref, write);
    } else if (a.kind == ActionKind::Reduce) {
      ok = access(i, {a.gradBuffer, 0}, true);
    } else {
      ok = access(i, a.buffer, a.kind == ActionKind::Recv);
    }
    if (!ok)
      return false;
  }
  return true;
}

bool Checker::eventsDone(int i) const {
  return std::all_of(at(i).waits.begin(), at(i).waits.end(),
                     [&](int w) { return bool(done[w]); });
}

int Checker::partnerOf(int i) const {
  if (!isTransfer(at(i)))
    return -1;
  const Halves &t = transfers.at(keyOf(at(i)));
  return at(i).kind == ActionKind::Send ? t.recv : t.send;
}

bool Checker::atHead(int i) const {
  const std::vector<int> &list = queues.at(queueOf[i]);
  size_t h = head.at(queueOf[i]);
  return h < list.size() && list[h] == i;
}

/// Streams are FIFO queues; an action completes when it heads its queue and
/// its events have completed, and a send and its receive complete together
/// (NCCL's worst case: nothing is buffered).
bool Checker::checkDeadlock() {
  size_t n = plan.actions.size();
  queueOf.assign(n, {});
  done.assign(n, false);
  for (int i = 0; i < int(n); ++i) {
    queueOf[i] = {at(i).device, streamOf(at(i))};
    queues[queueOf[i]].push_back(i);
  }
  for (auto &[q, list] : queues)
    head[q] = 0;
  size_t remaining = n;
  bool progress = true;
  while (remaining && progress) {
    progress = false;
    for (auto &[q, list] : queues) {
      size_t &h = head[q];
      while (h < list.size()) {
        int i = list[h];
        if (!eventsDone(i))
          break;
        int partner = partnerOf(i);
        if (partner >= 0) {
          if (!atHead(partner) || !eventsDone(partner))
            break;
          done[partner] = true;
          ++head[queueOf[partner]];
          --remaining;
        }
        done[i] = true;
        ++h;
        --remaining;
        progress = true;
      }
    }
  }
  return !remaining || reportDeadlock();
}

bool Checker::reportDeadlock() {
  std::vector<FaultNote> notes;
  for (auto &[q, list] : queues) {
    if (head[q] >= list.size())
      continue;
    int i = list[head[q]];
    std::string text = "device " + num(q.first) + " stream " +
                       streamName(q.second) + " is stuck at " + describe(i);
    auto pending = std::find_if(at(i).waits.begin(), at(i).waits.end(),
                                [&](int w) { return !done[w]; });
    int partner = partnerOf(i);
    if (pending != at(i).waits.end())
      text += ", waiting for " + describe(*pending);
    else if (partner >= 0)
      text += ", whose partner " + describe(partner) + " is not ready";
    notes.push_back(note(i, std::move(text)));
  }
  return fail(FaultKind::Deadlock, -1, "deadlocks: no stream can make progress",
              std::move(notes));
}

Fault Checker::run() {
  if (checkShape() && collect() && checkPrograms() && checkTransfers()) {
    buildHappensBefore();
    if (checkData() && checkSlots())
      checkDeadlock();
  }
  return fault;
}

Fault plan::checkPlan(const Plan &plan, const PlanSubject &subject) {
  return Checker(plan, subject).run();
}

std::string plan::describeAction(const Action &a) {
  const char *what = a.gradient ? "grad" : "act";
  switch (a.kind) {
  case ActionKind::Exec: {
    std::string text = std::string(sched::blockKindName(a.block.kind)) +
                       " chunk " + num(a.block.chunk) + " mb " +
                       num(a.block.mb);
    if (a.block.parts > 1)
      text += " part " + num(a.block.part) + "/" + num(a.block.parts);
    return text;
  }
  case ActionKind::Send:
    return std::string("send ") + what + " chunk " + num(a.boundary) + " mb " +
           num(a.mb) + " to device " + num(a.dst);
  case ActionKind::Recv:
    return std::string("recv ") + what + " chunk " + num(a.boundary) + " mb " +
           num(a.mb) + " from device " + num(a.src);
  case ActionKind::Reduce:
    return "dp_allreduce chunk " + num(a.chunk);
  }
  return "";
}
