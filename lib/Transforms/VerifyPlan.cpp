//===- VerifyPlan.cpp - The --crosspipe-verify-plan pass: a plan runs ----===//
//
// The proof that a plan runs: the checks that need the whole plan and its
// schedule (the dialect's op verifiers check only local structure). Each
// compute stream must run exactly the schedule's program; every cross-device
// dependency must be one send and one receive, matched in order on its channel;
// consumers must wait for what they read and no slot may be overwritten before
// its last reader is done (happens-before over stream order and events, per
// device); and an abstract run in which every send blocks until its receive is
// at the head of its stream must finish, which proves the NCCL program
// deadlock-free. Receives must also precede their sends in plan order, which
// the single-GPU emulation relies on.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <tuple>

namespace crosspipe {
#define GEN_PASS_DEF_VERIFYPLANPASS
#include "crosspipe/Transforms/Passes.h.inc"
} // namespace crosspipe

using namespace mlir;
using namespace crosspipe;

namespace {
/// (kind, chunk, mb, part) of a block.
using BlockKey = std::tuple<int, int64_t, int64_t, int64_t>;
/// (kind, chunk, mb) of a transfer; with src and dst it is unique.
using TransferKey = std::tuple<int, int64_t, int64_t>;

struct TransferHalves {
  SendOp send;
  RecvOp recv;
  int64_t src = -1, dst = -1;
};

class PlanChecker {
public:
  PlanChecker(PlanOp plan) : plan(plan) {}
  LogicalResult run();

private:
  LogicalResult collect();
  LogicalResult checkPrograms();
  LogicalResult checkTransfers();
  LogicalResult checkData();
  LogicalResult checkReductions();
  LogicalResult checkSlots();
  LogicalResult checkDeadlock();
  void buildHappensBefore();
  bool happensBefore(Operation *a, Operation *b);
  LogicalResult requireBefore(Operation *a, Operation *b, const Twine &why);
  ExecOp lastPart(int kind, int64_t chunk, int64_t mb);
  ExecOp firstPart(int kind, int64_t chunk, int64_t mb);

  PlanOp plan;
  PipelineOp pipeline;
  ScheduleOp schedule;
  SmallVector<int64_t> chunkDevice;
  int64_t numMb = 0;
  bool split = false;

  /// Stream ops in plan order, and each one's index.
  SmallVector<Operation *> ops;
  DenseMap<Operation *, unsigned> index;
  std::map<BlockKey, ExecOp> execs;
  std::map<TransferKey, TransferHalves> transfers;
  /// Per device: its ops in order, and for each the set of ops (by position
  /// in that list) that complete before it starts.
  std::vector<SmallVector<Operation *>> deviceOps;
  DenseMap<Operation *, unsigned> devicePos;
  std::vector<std::vector<llvm::BitVector>> before;
};
} // namespace

LogicalResult PlanChecker::collect() {
  schedule = SymbolTable::lookupNearestSymbolFrom<ScheduleOp>(
      plan->getParentOp(), plan.getScheduleAttr());
  if (!schedule)
    return plan.emitOpError("'@")
           << plan.getSchedule() << "' does not reference a schedule";
  pipeline = SymbolTable::lookupNearestSymbolFrom<PipelineOp>(
      schedule, schedule.getPipelineAttr());
  if (!pipeline)
    return schedule.emitOpError("does not reference a pipeline");
  for (StageOp stage : pipeline.getStages())
    chunkDevice.push_back(stage.getDevice());
  numMb = pipeline.getMicrobatches();
  split = pipeline.getSplitBackward();
  int64_t devices = plan.getDevices();
  deviceOps.resize(devices);
  for (Operation &op : plan.getBody().front()) {
    if (isa<BufferOp>(op))
      continue;
    index[&op] = ops.size();
    ops.push_back(&op);
    int64_t d = PlanOp::getOpDevice(&op);
    devicePos[&op] = deviceOps[d].size();
    deviceOps[d].push_back(&op);
    if (auto exec = dyn_cast<ExecOp>(op)) {
      if (exec.getChunk() >= int64_t(chunkDevice.size()) ||
          exec.getMb() >= numMb)
        return exec.emitOpError("names a block the pipeline does not have");
      BlockKey key{int(exec.getKind()), exec.getChunk(), exec.getMb(),
                   exec.getPartIndex()};
      auto [it, inserted] = execs.insert({key, exec});
      if (!inserted) {
        InFlightDiagnostic diag = exec.emitOpError("runs ")
                                  << describePlanOp(exec) << " a second time";
        diag.attachNote(it->second.getLoc()) << "first run here";
        return diag;
      }
      continue;
    }
    auto record = [&](auto half, bool isSend) -> LogicalResult {
      TransferKey key{int(half.getKind()), half.getChunk(), half.getMb()};
      TransferHalves &t = transfers[key];
      Operation *existing =
          isSend ? t.send.getOperation() : t.recv.getOperation();
      if (existing) {
        InFlightDiagnostic diag = half.emitOpError("duplicates ")
                                  << describePlanOp(existing);
        diag.attachNote(existing->getLoc()) << "first one here";
        return diag;
      }
      if (isSend)
        t.send = cast<SendOp>(half.getOperation());
      else
        t.recv = cast<RecvOp>(half.getOperation());
      return success();
    };
    if (auto send = dyn_cast<SendOp>(op))
      if (failed(record(send, true)))
        return failure();
    if (auto recv = dyn_cast<RecvOp>(op))
      if (failed(record(recv, false)))
        return failure();
  }
  return success();
}

LogicalResult PlanChecker::checkPrograms() {
  // The compute stream of each device runs its program, in order.
  for (ProgramOp program : schedule.getPrograms()) {
    int64_t d = program.getDevice();
    if (d >= plan.getDevices())
      return plan.emitOpError("has ")
             << plan.getDevices() << " devices but its schedule has a "
             << "program for device " << d;
    auto it = llvm::make_filter_range(
        deviceOps[d], [](Operation *op) { return isa<ExecOp>(op); });
    auto planned = it.begin();
    for (ComputeOp compute : program.getBody().getOps<ComputeOp>()) {
      if (planned == it.end())
        return plan.emitOpError("never runs ")
               << stringifyBlockKind(compute.getKind()) << " chunk "
               << compute.getChunk() << " mb " << compute.getMb()
               << " of device " << d << "'s program";
      auto exec = cast<ExecOp>(*planned);
      ++planned;
      if (exec.getKind() == compute.getKind() &&
          exec.getChunk() == compute.getChunk() &&
          exec.getMb() == compute.getMb() &&
          exec.getPartIndex() == compute.getPart().value_or(0) &&
          exec.getPartCount() == compute.getParts().value_or(1))
        continue;
      InFlightDiagnostic diag =
          exec.emitOpError("runs ")
          << describePlanOp(exec) << " where device " << d << "'s program runs "
          << stringifyBlockKind(compute.getKind()) << " chunk "
          << compute.getChunk() << " mb " << compute.getMb();
      diag.attachNote(compute.getLoc()) << "scheduled block here";
      return diag;
    }
    if (planned != it.end())
      return (*planned)->emitOpError("is not in device ") << d << "'s program";
  }
  for (auto &[key, exec] : execs)
    if (chunkDevice[exec.getChunk()] != exec.getDevice())
      return exec.emitOpError("runs on device ")
             << exec.getDevice() << " but chunk " << exec.getChunk()
             << " is placed on device " << chunkDevice[exec.getChunk()];
  return success();
}

LogicalResult PlanChecker::checkTransfers() {
  // Exactly the cross-device boundaries need transfers.
  int64_t numChunks = chunkDevice.size();
  std::map<TransferKey, std::pair<int64_t, int64_t>> needed;
  for (int64_t b = 0; b + 1 < numChunks; ++b) {
    if (chunkDevice[b] == chunkDevice[b + 1])
      continue;
    for (int64_t mb = 0; mb < numMb; ++mb) {
      needed[{int(TransferKind::act), b, mb}] = {chunkDevice[b],
                                                 chunkDevice[b + 1]};
      needed[{int(TransferKind::grad), b, mb}] = {chunkDevice[b + 1],
                                                  chunkDevice[b]};
    }
  }
  for (auto &[key, t] : transfers) {
    Operation *some = t.send ? t.send.getOperation() : t.recv.getOperation();
    auto it = needed.find(key);
    if (it == needed.end())
      return some->emitOpError("moves data between chunks on one device, or "
                               "between chunks that do not exist");
    for (Operation *half : {t.send.getOperation(), t.recv.getOperation()}) {
      if (!half)
        continue;
      auto [src, dst] = it->second;
      int64_t s = isa<SendOp>(half) ? cast<SendOp>(half).getSrc()
                                    : cast<RecvOp>(half).getSrc();
      int64_t d = isa<SendOp>(half) ? cast<SendOp>(half).getDst()
                                    : cast<RecvOp>(half).getDst();
      if (s != src || d != dst)
        return half->emitOpError("goes from device ")
               << s << " to " << d << ", but the chunks are on devices " << src
               << " and " << dst;
    }
    if (!t.recv)
      return t.send.emitOpError("has no matching crosspipe.recv");
    if (!t.send)
      return t.recv.emitOpError("has no matching crosspipe.send");
    if (index[t.recv] > index[t.send]) {
      InFlightDiagnostic diag =
          t.recv.emitOpError("is posted after its send; a receive must "
                             "precede its send in plan order");
      diag.attachNote(t.send.getLoc()) << "send here";
      return diag;
    }
  }
  for (auto &[key, ends] : needed)
    if (!transfers.count(key))
      return plan.emitOpError("misses the transfer of ")
             << stringifyTransferKind(TransferKind(std::get<0>(key)))
             << " chunk " << std::get<1>(key) << " mb " << std::get<2>(key)
             << " from device " << ends.first << " to " << ends.second;

  // Channels: one direction of one kind between two devices is one NCCL
  // communicator; its receives must come in the order of its sends.
  std::map<std::tuple<int, int64_t, int64_t>, SmallVector<Operation *>> sends,
      recvs;
  for (Operation *op : ops) {
    if (auto s = dyn_cast<SendOp>(op))
      sends[{int(s.getKind()), s.getSrc(), s.getDst()}].push_back(op);
    if (auto r = dyn_cast<RecvOp>(op))
      recvs[{int(r.getKind()), r.getSrc(), r.getDst()}].push_back(op);
  }
  for (auto &[channel, list] : sends) {
    SmallVector<Operation *> &other = recvs[channel];
    for (auto [s, r] : llvm::zip(list, other)) {
      auto send = cast<SendOp>(s);
      auto recv = cast<RecvOp>(r);
      if (send.getChunk() == recv.getChunk() && send.getMb() == recv.getMb())
        continue;
      InFlightDiagnostic diag =
          recv.emitOpError("is the receive number ")
          << (&r - other.begin()) << " on the channel from device "
          << send.getSrc() << " to " << send.getDst()
          << ", but the send in that position is " << describePlanOp(send)
          << "; receives must match the order of their sends";
      diag.attachNote(send.getLoc()) << "send here";
      return diag;
    }
  }
  return success();
}

void PlanChecker::buildHappensBefore() {
  before.assign(deviceOps.size(), {});
  for (size_t d = 0; d < deviceOps.size(); ++d) {
    SmallVector<Operation *> &list = deviceOps[d];
    std::vector<llvm::BitVector> &sets = before[d];
    sets.assign(list.size(), llvm::BitVector(list.size()));
    std::map<PlanStream, unsigned> lastOnStream;
    for (unsigned i = 0; i < list.size(); ++i) {
      Operation *op = list[i];
      auto add = [&](unsigned j) {
        sets[i].set(j);
        sets[i] |= sets[j];
      };
      PlanStream stream = PlanOp::getOpStream(op);
      auto last = lastOnStream.find(stream);
      if (last != lastOnStream.end())
        add(last->second);
      lastOnStream[stream] = i;
      for (Value event : op->getOperands())
        add(devicePos.lookup(event.getDefiningOp()));
    }
  }
}

bool PlanChecker::happensBefore(Operation *a, Operation *b) {
  int64_t d = PlanOp::getOpDevice(b);
  if (PlanOp::getOpDevice(a) != d)
    return false;
  return before[d][devicePos.lookup(b)].test(devicePos.lookup(a));
}

LogicalResult PlanChecker::requireBefore(Operation *a, Operation *b,
                                         const Twine &why) {
  if (happensBefore(a, b))
    return success();
  InFlightDiagnostic diag = b->emitOpError("may start before ")
                            << describePlanOp(a) << " completes, but " << why;
  diag.attachNote(a->getLoc()) << "see " << describePlanOp(a);
  return diag;
}

ExecOp PlanChecker::firstPart(int kind, int64_t chunk, int64_t mb) {
  auto it = execs.find({kind, chunk, mb, 0});
  return it == execs.end() ? ExecOp() : it->second;
}

ExecOp PlanChecker::lastPart(int kind, int64_t chunk, int64_t mb) {
  ExecOp first = firstPart(kind, chunk, mb);
  if (!first)
    return {};
  return execs[{kind, chunk, mb, first.getPartCount() - 1}];
}

LogicalResult PlanChecker::checkData() {
  int bwd = int(split ? BlockKind::D : BlockKind::B);
  int64_t numChunks = chunkDevice.size();
  for (auto &[key, consumer] : execs) {
    if (consumer.getPartIndex() != 0)
      continue;
    auto [kind, c, mb, part] = key;
    int64_t from;
    int producerKind;
    if (kind == int(BlockKind::F) && c > 0) {
      from = c - 1;
      producerKind = int(BlockKind::F);
    } else if (kind == bwd && c + 1 < numChunks) {
      from = c + 1;
      producerKind = bwd;
    } else {
      continue;
    }
    ExecOp producer = lastPart(producerKind, from, mb);
    if (!consumer.getInputAttr())
      return consumer.emitOpError("reads no input but depends on ")
             << describePlanOp(producer);
    if (chunkDevice[from] == chunkDevice[c]) {
      if (producer.getOutputAttr() != consumer.getInputAttr() ||
          producer.getOutputSlot() != consumer.getInputSlot()) {
        InFlightDiagnostic diag = consumer.emitOpError("reads a different "
                                                       "slot than ")
                                  << describePlanOp(producer) << " writes";
        diag.attachNote(producer.getLoc()) << "producer here";
        return diag;
      }
      if (failed(requireBefore(producer, consumer, "it reads its output")))
        return failure();
      continue;
    }
    TransferKind tk =
        kind == int(BlockKind::F) ? TransferKind::act : TransferKind::grad;
    // A message is named by the lower chunk of its boundary.
    TransferHalves &t = transfers[{int(tk), std::min(from, c), mb}];
    if (t.recv.getBufferAttr() != consumer.getInputAttr() ||
        t.recv.getSlot() != *consumer.getInputSlot()) {
      InFlightDiagnostic diag = consumer.emitOpError("reads a different slot "
                                                     "than ")
                                << describePlanOp(t.recv) << " fills";
      diag.attachNote(t.recv.getLoc()) << "receive here";
      return diag;
    }
    if (t.send.getBufferAttr() != producer.getOutputAttr() ||
        t.send.getSlot() != producer.getOutputSlot()) {
      InFlightDiagnostic diag = t.send.emitOpError("reads a different slot "
                                                   "than ")
                                << describePlanOp(producer) << " writes";
      diag.attachNote(producer.getLoc()) << "producer here";
      return diag;
    }
    if (failed(requireBefore(t.recv, consumer, "it reads what arrives")) ||
        failed(requireBefore(producer, t.send, "it sends its output")))
      return failure();
  }
  return checkReductions();
}

/// DP all-reduces: one per chunk when the pipeline is replicated, after
/// every block that writes the chunk's parameter gradient.
LogicalResult PlanChecker::checkReductions() {
  int64_t numChunks = chunkDevice.size();
  std::map<int64_t, DpAllReduceOp> reduces;
  for (Operation *op : ops)
    if (auto ar = dyn_cast<DpAllReduceOp>(op)) {
      if (ar.getChunk() >= numChunks ||
          chunkDevice[ar.getChunk()] != ar.getDevice())
        return ar.emitOpError("is not on the device of chunk ")
               << ar.getChunk();
      if (!reduces.insert({ar.getChunk(), ar}).second)
        return ar.emitOpError("reduces chunk ")
               << ar.getChunk() << " a second time";
    }
  bool replicated = pipeline.getDpDegree() > 1;
  int writer = int(split ? BlockKind::W : BlockKind::B);
  for (int64_t c = 0; c < numChunks; ++c) {
    auto it = reduces.find(c);
    if (!replicated) {
      if (it != reduces.end())
        return it->second.emitOpError("reduces across data parallelism, but "
                                      "the pipeline has one replica");
      continue;
    }
    if (it == reduces.end())
      return plan.emitOpError("never all-reduces the gradient of chunk ") << c;
    for (int64_t mb = 0; mb < numMb; ++mb)
      if (failed(requireBefore(lastPart(writer, c, mb), it->second,
                               "it reduces the gradient it writes")))
        return failure();
  }
  return success();
}

LogicalResult PlanChecker::checkSlots() {
  // Every access to a slot must be ordered after the conflicting accesses
  // before it: a read after the last write, a write after the last write
  // and all reads since.
  struct SlotState {
    Operation *lastWrite = nullptr;
    SmallVector<Operation *> reads;
  };
  std::map<std::pair<StringRef, int64_t>, SlotState> slots;
  auto access = [&](Operation *op, FlatSymbolRefAttr buffer, int64_t slot,
                    bool write) -> LogicalResult {
    SlotState &s = slots[{buffer.getValue(), slot}];
    std::string why =
        ("both use @" + buffer.getValue() + "[" + Twine(slot) + "]").str();
    if (s.lastWrite && s.lastWrite != op &&
        failed(requireBefore(s.lastWrite, op, why)))
      return failure();
    if (!write) {
      s.reads.push_back(op);
      return success();
    }
    for (Operation *read : s.reads)
      if (read != op && failed(requireBefore(read, op, why)))
        return failure();
    s.reads.clear();
    s.lastWrite = op;
    return success();
  };
  for (Operation *op : ops) {
    LogicalResult ok = success();
    if (auto exec = dyn_cast<ExecOp>(op)) {
      if (auto in = exec.getInputAttr())
        ok = access(op, in, *exec.getInputSlot(), /*write=*/false);
      if (succeeded(ok) && exec.getOutputAttr())
        ok = access(op, exec.getOutputAttr(), *exec.getOutputSlot(), true);
      if (succeeded(ok) && exec.getStashAttr())
        ok = access(op, exec.getStashAttr(), *exec.getStashSlot(), true);
      if (succeeded(ok) && exec.getGradsAttr())
        ok = access(op, exec.getGradsAttr(), 0, true);
    } else if (auto send = dyn_cast<SendOp>(op)) {
      ok = access(op, send.getBufferAttr(), send.getSlot(), false);
    } else if (auto recv = dyn_cast<RecvOp>(op)) {
      ok = access(op, recv.getBufferAttr(), recv.getSlot(), true);
    } else if (auto ar = dyn_cast<DpAllReduceOp>(op)) {
      ok = access(op, ar.getBufferAttr(), 0, true);
    }
    if (failed(ok))
      return failure();
  }
  return success();
}

LogicalResult PlanChecker::checkDeadlock() {
  // Streams are FIFO queues; an op completes when it heads its queue and its
  // events have completed, and a send and its receive complete together
  // (NCCL's worst case: nothing is buffered).
  std::map<std::pair<int64_t, PlanStream>, SmallVector<unsigned>> queues;
  for (unsigned i = 0; i < ops.size(); ++i)
    queues[{PlanOp::getOpDevice(ops[i]), PlanOp::getOpStream(ops[i])}]
        .push_back(i);
  llvm::BitVector done(ops.size());
  DenseMap<unsigned, std::pair<int64_t, PlanStream>> queueOf;
  std::map<std::pair<int64_t, PlanStream>, unsigned> head;
  for (auto &[q, list] : queues) {
    head[q] = 0;
    for (unsigned i : list)
      queueOf[i] = q;
  }
  auto atHead = [&](unsigned i) {
    auto q = queueOf[i];
    return queues[q][head[q]] == i;
  };
  auto eventsDone = [&](unsigned i) {
    return llvm::all_of(ops[i]->getOperands(), [&](Value v) {
      return done.test(index.lookup(v.getDefiningOp()));
    });
  };
  auto partnerOf = [&](unsigned i) -> int {
    Operation *op = ops[i];
    TransferKey key;
    if (auto s = dyn_cast<SendOp>(op))
      key = {int(s.getKind()), s.getChunk(), s.getMb()};
    else if (auto r = dyn_cast<RecvOp>(op))
      key = {int(r.getKind()), r.getChunk(), r.getMb()};
    else
      return -1;
    TransferHalves &t = transfers[key];
    return int(index.lookup(isa<SendOp>(op) ? t.recv.getOperation()
                                            : t.send.getOperation()));
  };
  unsigned remaining = ops.size();
  bool progress = true;
  while (remaining && progress) {
    progress = false;
    for (auto &[q, list] : queues) {
      unsigned &h = head[q];
      while (h < list.size()) {
        unsigned i = list[h];
        if (!eventsDone(i))
          break;
        int partner = partnerOf(i);
        if (partner >= 0) {
          if (!atHead(partner) || !eventsDone(partner))
            break;
          done.set(partner);
          ++head[queueOf[partner]];
          --remaining;
        }
        done.set(i);
        ++h;
        --remaining;
        progress = true;
      }
    }
  }
  if (!remaining)
    return success();
  InFlightDiagnostic diag = plan.emitOpError("deadlocks: no stream can make "
                                             "progress");
  for (auto &[q, list] : queues) {
    if (head[q] >= list.size())
      continue;
    Operation *op = ops[list[head[q]]];
    Diagnostic &note = diag.attachNote(op->getLoc());
    note << "device " << q.first << " stream " << stringifyPlanStream(q.second)
         << " is stuck at " << describePlanOp(op);
    auto pending = llvm::find_if(op->getOperands(), [&](Value v) {
      return !done.test(index.lookup(v.getDefiningOp()));
    });
    if (pending != op->getOperands().end()) {
      note << ", waiting for " << describePlanOp((*pending).getDefiningOp());
      continue;
    }
    int partner = partnerOf(list[head[q]]);
    if (partner >= 0)
      note << ", whose partner " << describePlanOp(ops[partner])
           << " is not ready";
  }
  return diag;
}

LogicalResult PlanChecker::run() {
  if (failed(collect()) || failed(checkPrograms()) || failed(checkTransfers()))
    return failure();
  buildHappensBefore();
  if (failed(checkData()) || failed(checkSlots()))
    return failure();
  return checkDeadlock();
}

LogicalResult crosspipe::verifyPlan(PlanOp plan) {
  return PlanChecker(plan).run();
}

namespace {
struct VerifyPlanPass : crosspipe::impl::VerifyPlanPassBase<VerifyPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    for (PlanOp plan : getOperation().getOps<PlanOp>())
      if (failed(verifyPlan(plan)))
        return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
