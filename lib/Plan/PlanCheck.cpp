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

#include "PlanChecker.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace crosspipe;
using namespace crosspipe::plan;
using namespace crosspipe::plan::detail;

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

Fault Checker::run() {
  if (checkShape() && collect() && checkPrograms() && checkTransfers()) {
    buildHappensBefore();
    if (checkData() && checkSlots() && checkDeadlock())
      checkIssueOrder();
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
  case ActionKind::Reduce: {
    std::string text =
        a.collectiveKind == sched::CollectiveKind::AllGather ? "dp_all_gather"
        : a.collectiveKind == sched::CollectiveKind::ReduceScatter
            ? "dp_reduce_scatter"
            : "dp_allreduce";
    text += " chunk " + num(a.chunk);
    if (a.buckets > 1)
      text += " bucket " + num(a.bucket) + "/" + num(a.buckets);
    return text;
  }
  }
  return "";
}
