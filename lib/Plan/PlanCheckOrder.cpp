//===- PlanCheckOrder.cpp - Ordering, data, slots and deadlock of a plan --===//
//
// The half of the plan proof that needs happens-before: every consumer waits
// for what it reads, every reduction for the gradients it reduces, no slot
// is overwritten while in use, and an abstract run in which every send
// blocks until its receive is at the head of its stream finishes; and the
// NCCL operations are issued in one order all devices agree with.
//
//===----------------------------------------------------------------------===//

#include "PlanChecker.h"
#include "crosspipe/Runtime/IssueOrder.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace crosspipe;
using namespace crosspipe::plan;
using namespace crosspipe::plan::detail;

//===----------------------------------------------------------------------===//
// Happens-before, data and reductions
//===----------------------------------------------------------------------===//

/// Per device: an action starts after the one before it on its stream and
/// after the events it waits on, and (transitively) after theirs. Linear in
/// the actions (a clock of six positions each); a bit set per action was
/// quadratic (7.9 GiB at 12k blocks per device).
void Checker::buildHappensBefore() {
  StreamClock none;
  none.fill(-1);
  before.assign(plan.actions.size(), none);
  streamPos.assign(plan.actions.size(), -1);
  for (const std::vector<int> &list : deviceOps) {
    StreamClock count{};
    int lastOnStream[kNumStreams];
    std::fill(std::begin(lastOnStream), std::end(lastOnStream), -1);
    for (int id : list) {
      StreamClock &clock = before[id];
      auto add = [&](int j) {
        const StreamClock &past = before[j];
        for (int s = 0; s < kNumStreams; ++s)
          clock[s] = std::max(clock[s], past[s]);
        int s = streamOf(at(j));
        clock[s] = std::max(clock[s], streamPos[j]);
      };
      int stream = streamOf(at(id));
      if (lastOnStream[stream] >= 0)
        add(lastOnStream[stream]);
      for (int w : at(id).waits)
        if (at(w).device == at(id).device)
          add(w);
      streamPos[id] = count[stream]++;
      lastOnStream[stream] = id;
    }
  }
}

bool Checker::happensBefore(int a, int b) const {
  if (at(a).device != at(b).device)
    return false;
  return before[b][streamOf(at(a))] >= streamPos[a];
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

/// The DP collectives a replicated chunk needs: one all-reduce per gradient
/// bucket, or under ZeRO-1 one reduce-scatter per bucket and one
/// all-gather of the parameters; as (kind, bucket).
static std::vector<std::pair<sched::CollectiveKind, int>>
collectivesOf(const sched::Problem &problem) {
  std::vector<std::pair<sched::CollectiveKind, int>> out;
  if (problem.zero1)
    out.push_back({sched::CollectiveKind::AllGather, 0});
  for (int b = 0; b < problem.dpBuckets; ++b)
    out.push_back({problem.zero1 ? sched::CollectiveKind::ReduceScatter
                                 : sched::CollectiveKind::AllReduce,
                   b});
  return out;
}

/// Whether a collective is one of collectivesOf(problem).
static bool inLayoutOf(const sched::Problem &problem, const Action &a) {
  if (a.collectiveKind == sched::CollectiveKind::AllGather)
    return problem.zero1 && a.bucket == 0 && a.buckets == 1;
  bool kind =
      a.collectiveKind == (problem.zero1 ? sched::CollectiveKind::ReduceScatter
                                         : sched::CollectiveKind::AllReduce);
  return kind && a.buckets == problem.dpBuckets && a.bucket >= 0 &&
         a.bucket < a.buckets;
}

bool Checker::inLayout(const Action &a) const { return inLayoutOf(problem, a); }

/// "never all-reduces the gradient of chunk 1", "never reduce-scatters
/// bucket 1/2 of chunk 1", "never all-gathers the parameters of chunk 1".
static std::string missing(sched::CollectiveKind kind, int bucket, int buckets,
                           int chunk) {
  if (kind == sched::CollectiveKind::AllGather)
    return "never all-gathers the parameters of chunk " + num(chunk);
  std::string what = kind == sched::CollectiveKind::AllReduce
                         ? "never all-reduces "
                         : "never reduce-scatters ";
  if (buckets > 1)
    return what + "bucket " + num(bucket) + "/" + num(buckets) +
           " of the gradient of chunk " + num(chunk);
  return what + "the gradient of chunk " + num(chunk);
}

/// The part of the releasing block of (chunk, mb) that completes gradient
/// bucket `bucket` (sched::bucketDoneMs), or -1.
int Checker::bucketWriter(int chunk, int mb, int bucket) const {
  SKind kind = graph.releaseKind();
  auto first = execs.find({int(kind), chunk, mb, 0});
  if (first == execs.end())
    return -1;
  int parts = at(first->second).block.parts;
  int64_t num = int64_t(bucket + 1) * parts;
  int part = int((num + problem.dpBuckets - 1) / problem.dpBuckets - 1);
  auto it = execs.find({int(kind), chunk, mb, part});
  return it == execs.end() ? -1 : it->second;
}

/// DP collectives: exactly the problem's layout (collectivesOf) when the
/// pipeline is replicated, none otherwise, each once on its chunk's device;
/// an all-reduce or reduce-scatter after, for every microbatch, the part
/// that completes its bucket; an all-gather before every F of its chunk.
bool Checker::checkReductions() {
  using Key = std::tuple<int, int, int>; // (kind, chunk, bucket)
  std::map<Key, int> found;
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = at(i);
    if (a.kind != ActionKind::Reduce)
      continue;
    if (a.chunk < 0 || a.chunk >= numChunks ||
        problem.chunks[a.chunk].device != a.device)
      return fail(FaultKind::ReduceDevice, i,
                  "is not on the device of chunk " + num(a.chunk));
    if (problem.dpDegree <= 1)
      return fail(FaultKind::UnexpectedReduce, i,
                  "reduces across data parallelism, but the pipeline has "
                  "one replica");
    if (!found.insert({{int(a.collectiveKind), a.chunk, a.bucket}, i}).second)
      return fail(FaultKind::DuplicateReduce, i,
                  "reduces chunk " + num(a.chunk) + " a second time");
  }
  if (problem.dpDegree <= 1)
    return true;
  for (auto &[key, i] : found)
    if (!inLayout(at(i)))
      return fail(FaultKind::UnexpectedReduce, i,
                  "is not a collective of the pipeline's data-parallel "
                  "layout");
  for (int c = 0; c < numChunks; ++c)
    for (auto [kind, bucket] : collectivesOf(problem)) {
      auto it = found.find({int(kind), c, bucket});
      if (it == found.end())
        return fail(FaultKind::MissingReduce, -1,
                    missing(kind, bucket, problem.dpBuckets, c));
      if (!checkCollectiveOrder(it->second))
        return false;
    }
  return true;
}

bool Checker::checkCollectiveOrder(int collective) {
  const Action &a = at(collective);
  for (int mb = 0; mb < numMb; ++mb) {
    if (a.collectiveKind == sched::CollectiveKind::AllGather) {
      auto f = execs.find({int(SKind::F), a.chunk, mb, 0});
      if (f != execs.end() &&
          !requireBefore(collective, f->second,
                         "it reads the parameters it gathers"))
        return false;
      continue;
    }
    int writer = bucketWriter(a.chunk, mb, a.bucket);
    if (writer >= 0 &&
        !requireBefore(writer, collective, "it reduces the gradient it writes"))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Slots and deadlock
//===----------------------------------------------------------------------===//

/// The gradient buckets a part of a block writes: those its share of the
/// block's work overlaps (part p of n does [p/n, (p+1)/n) of it, bucket b
/// of B is [b/B, (b+1)/B), as sched::bucketDoneMs counts).
std::pair<int, int> Checker::bucketsOf(const sched::Block &block) const {
  int64_t buckets = problem.dpBuckets, parts = block.parts;
  int first = int(int64_t(block.part) * buckets / parts);
  int last = int(((int64_t(block.part) + 1) * buckets + parts - 1) / parts) - 1;
  return {first, last};
}

/// Every access to a slot must be ordered after the conflicting accesses
/// before it: a read after the last write, a write after the last write and
/// all reads since. A parameter gradient is one slot per gradient bucket,
/// so a bucket's collective may overlap the parts writing other buckets.
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
            std::make_pair(a.stash, true)})
        if (ok && ref.buffer >= 0)
          ok = access(i, ref, write);
      auto [first, last] = bucketsOf(a.block);
      for (int b = first; ok && a.grads >= 0 && b <= last; ++b)
        ok = access(i, {a.grads, b}, true);
    } else if (a.kind == ActionKind::Reduce) {
      // An all-gather moves parameters, not the gradient.
      if (a.collectiveKind != sched::CollectiveKind::AllGather)
        ok = access(i, {a.gradBuffer, a.bucket}, true);
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

/// Every device's sends, receives and collectives in one global order
/// (Runtime/IssueOrder.h): a send and its receive are one operation, and so
/// is a collective on every data-parallel replica (they run one program).
bool Checker::checkIssueOrder() {
  auto key = [](uint64_t what, int chunk, int index) {
    return (what << 60) | (uint64_t(uint32_t(chunk)) << 30) |
           uint64_t(uint32_t(index) & 0x3fffffffu);
  };
  std::vector<std::vector<rt::IssuedOp>> ops(problem.numDevices());
  for (int i = 0; i < int(plan.actions.size()); ++i) {
    const Action &a = at(i);
    if (isTransfer(a))
      ops[a.device].push_back({key(a.gradient, a.boundary, a.mb), i});
    else if (a.kind == ActionKind::Reduce)
      ops[a.device].push_back(
          {key(2 + uint64_t(a.collectiveKind), a.chunk, a.bucket), i});
  }
  std::vector<rt::IssueEdge> cycle;
  if (rt::consistentIssueOrder(ops, cycle))
    return true;
  std::vector<FaultNote> notes;
  for (const rt::IssueEdge &e : cycle)
    notes.push_back(note(int(e.after), "device " + num(e.device) +
                                           " issues this after " +
                                           describe(int(e.before))));
  return fail(FaultKind::IssueOrder, int(cycle[0].before),
              "NCCL operations are issued in orders no single order agrees "
              "with (NCCL may hang): device " +
                  num(cycle[0].device) + " issues this before " +
                  describe(int(cycle[0].after)),
              std::move(notes));
}
