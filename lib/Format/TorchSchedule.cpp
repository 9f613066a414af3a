//===- TorchSchedule.cpp - PyTorch pipelining schedule CSVs ---------------===//
//
// Both directions of the CSV form of torch.distributed.pipelining; the
// header describes the mapping and what is merged, checked or refused.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/TorchSchedule.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

using namespace crosspipe::sched;

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {
/// A whole block of one device's row: its parts merged, its simulated span.
struct Item {
  Block block;
  double startMs = 0, endMs = 0;
};

const char *torchKind(BlockKind kind) {
  switch (kind) {
  case BlockKind::F:
    return "F";
  case BlockKind::B:
    return "B";
  case BlockKind::D:
    return "I";
  case BlockKind::W:
    return "W";
  }
  return "?";
}

std::string action(int stage, const char *type, int mb) {
  return std::to_string(stage) + type + (mb >= 0 ? std::to_string(mb) : "");
}

std::string describe(const Block &b) {
  return std::string(blockKindName(b.kind)) + " chunk " +
         std::to_string(b.chunk) + " mb " + std::to_string(b.mb);
}

/// Merges each block's parts into one item; "" or why they cannot be.
std::string mergeParts(const Schedule &schedule, const SimResult &sim,
                       std::vector<std::vector<Item>> &rows) {
  rows.assign(schedule.order.size(), {});
  for (size_t d = 0; d < schedule.order.size(); ++d) {
    const std::vector<Block> &order = schedule.order[d];
    for (size_t i = 0; i < order.size();) {
      const Block &b = order[i];
      size_t parts = size_t(std::max(b.parts, 1));
      for (size_t k = 0; k < parts; ++k) {
        bool same = i + k < order.size() && order[i + k].kind == b.kind &&
                    order[i + k].chunk == b.chunk &&
                    order[i + k].mb == b.mb && order[i + k].part == int(k);
        if (!same)
          return describe(b) + " on device " + std::to_string(d) +
                 " is cut into " + std::to_string(parts) +
                 " sub-blocks that do not run back to back; PyTorch's "
                 "schedule format has no sub-blocks";
      }
      Item item;
      item.block = b;
      item.block.part = 0;
      item.block.parts = 1;
      item.startMs = sim.times[d][i].startMs;
      item.endMs = sim.times[d][i + parts - 1].endMs;
      rows[d].push_back(item);
      i += parts;
    }
  }
  return "";
}

/// One action of a row with communication, ordered by (time, class, tie):
/// receives first at equal times, then reductions, compute, sends.
struct Timed {
  double timeMs;
  int cls;
  long tie;
  std::string text;
  bool operator<(const Timed &o) const {
    return std::tie(timeMs, cls, tie) < std::tie(o.timeMs, o.cls, o.tie);
  }
};
enum { kRecv = 0, kReduce = 1, kCompute = 2, kSend = 3 };

/// Where each chunk's gradient reduction goes: after the item at the
/// collective's place, or after the chunk's last backward when the
/// schedule carries none. Returns "" or why the format cannot express them.
std::string placeReductions(const Problem &problem,
                            const std::vector<std::vector<Item>> &rows,
                            const Schedule &schedule,
                            const std::vector<CollectiveNote> &collectives,
                            std::vector<std::vector<Timed>> &timed) {
  BlockKind release = problem.splitBackward ? BlockKind::W : BlockKind::B;
  if (collectives.empty()) {
    for (size_t d = 0; d < rows.size(); ++d)
      for (int c : problem.chunksOnDevice(int(d))) {
        const Item *last = nullptr;
        for (const Item &item : rows[d])
          if (item.block.chunk == c && item.block.kind == release)
            last = &item;
        if (last)
          timed[d].push_back({last->endMs, kReduce, c,
                              action(c, "REDUCE_GRAD", -1)});
      }
    return "";
  }
  for (const CollectiveNote &n : collectives) {
    if (n.kind != CollectiveKind::AllReduce || n.buckets > 1)
      return "the schedule's data-parallel collectives are bucketed or "
             "ZeRO-1; REDUCE_GRAD reduces a whole stage, so only the "
             "compute-only form can carry this schedule (PyTorch then "
             "places its own reductions)";
    // computeBefore counts parts; the item that ends there.
    const std::vector<Block> &order = schedule.order[n.device];
    if (n.computeBefore == 0 || n.computeBefore > int(order.size()))
      return "a collective of chunk " + std::to_string(n.chunk) +
             " precedes every block of device " + std::to_string(n.device);
    const Block &before = order[n.computeBefore - 1];
    double endMs = 0;
    for (const Item &item : rows[n.device])
      if (item.block.kind == before.kind && item.block.chunk == before.chunk &&
          item.block.mb == before.mb)
        endMs = item.endMs;
    timed[n.device].push_back(
        {endMs, kReduce, n.chunk, action(n.chunk, "REDUCE_GRAD", -1)});
  }
  return "";
}
} // namespace

TorchWriteResult crosspipe::sched::writeTorchSchedule(
    const Problem &problem, const Schedule &schedule, const SimResult &sim,
    const std::vector<CollectiveNote> &collectives, TorchForm form) {
  TorchWriteResult out;
  if (!sim.ok) {
    out.error = "the schedule does not simulate: " + sim.error;
    return out;
  }
  std::vector<std::vector<Item>> rows;
  if (std::string err = mergeParts(schedule, sim, rows); !err.empty()) {
    out.error = err;
    return out;
  }
  std::vector<std::vector<std::string>> cells(rows.size());
  if (form == TorchForm::ComputeOnly) {
    for (size_t d = 0; d < rows.size(); ++d)
      for (const Item &item : rows[d])
        cells[d].push_back(action(item.block.chunk,
                                  torchKind(item.block.kind), item.block.mb));
  } else {
    std::vector<std::vector<Timed>> timed(rows.size());
    for (size_t d = 0; d < rows.size(); ++d)
      for (size_t i = 0; i < rows[d].size(); ++i) {
        const Block &b = rows[d][i].block;
        timed[d].push_back({rows[d][i].startMs, kCompute, long(i),
                            action(b.chunk, torchKind(b.kind), b.mb)});
      }
    // One global numbering of the messages, so that ties break alike on
    // both ranks of every message.
    std::vector<const TransferEvent *> messages;
    for (const TransferEvent &t : sim.transfers)
      messages.push_back(&t);
    std::sort(messages.begin(), messages.end(),
              [](const TransferEvent *a, const TransferEvent *b) {
                return std::make_tuple(a->sendMs, a->gradient, a->boundary(),
                                       a->mb) <
                       std::make_tuple(b->sendMs, b->gradient, b->boundary(),
                                       b->mb);
              });
    for (size_t k = 0; k < messages.size(); ++k) {
      const TransferEvent &t = *messages[k];
      int b = t.boundary();
      std::string send = t.gradient ? action(b + 1, "SEND_B", t.mb)
                                    : action(b, "SEND_F", t.mb);
      std::string recv = t.gradient ? action(b, "RECV_B", t.mb)
                                    : action(b + 1, "RECV_F", t.mb);
      timed[t.srcDevice].push_back({t.sendMs, kSend, long(k), send});
      timed[t.dstDevice].push_back({t.sendMs, kRecv, long(k), recv});
    }
    if (std::string err =
            placeReductions(problem, rows, schedule, collectives, timed);
        !err.empty()) {
      out.error = err;
      return out;
    }
    for (size_t d = 0; d < timed.size(); ++d) {
      std::stable_sort(timed[d].begin(), timed[d].end());
      for (const Timed &t : timed[d])
        cells[d].push_back(t.text);
    }
  }
  for (const std::vector<std::string> &row : cells) {
    for (size_t i = 0; i < row.size(); ++i)
      out.csv += (i ? "," : "") + row[i];
    out.csv += "\n";
  }
  out.ok = true;
  return out;
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {
enum class Type {
  F, I, B, W, SendF, RecvF, SendB, RecvB, ReduceGrad, Unshard, Reshard
};

struct Action {
  int stage = 0;
  Type type = Type::F;
  int mb = -1; ///< -1: none given.
};

/// Longest spelling first, so that "RESHARD" is not read as "R...".
const std::pair<const char *, Type> kTypes[] = {
    {"REDUCE_GRAD", Type::ReduceGrad}, {"UNSHARD", Type::Unshard},
    {"RESHARD", Type::Reshard},        {"SEND_F", Type::SendF},
    {"RECV_F", Type::RecvF},           {"SEND_B", Type::SendB},
    {"RECV_B", Type::RecvB},           {"F", Type::F},
    {"I", Type::I},                    {"B", Type::B},
    {"W", Type::W}};

constexpr int kMaxDigits = 9; // fits an int

/// Parses "<stage><type><mb>"; "" or why not.
std::string parseAction(std::string_view text, Action &a) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    ++i;
  if (i == 0)
    return "does not start with a stage number";
  if (i > kMaxDigits)
    return "has a stage number too large";
  a.stage = std::stoi(std::string(text.substr(0, i)));
  std::string_view rest = text.substr(i);
  for (const auto &[spelling, type] : kTypes) {
    std::string_view s(spelling);
    if (rest.substr(0, s.size()) != s)
      continue;
    std::string_view mb = rest.substr(s.size());
    if (!std::all_of(mb.begin(), mb.end(),
                     [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (mb.size() > size_t(kMaxDigits))
      return "has a microbatch number too large";
    a.type = type;
    a.mb = mb.empty() ? -1 : std::stoi(std::string(mb));
    return "";
  }
  return "has no action type PyTorch knows (F, I, W, B, SEND_F, RECV_F, "
         "SEND_B, RECV_B, REDUCE_GRAD, UNSHARD, RESHARD, OVERLAP_F_B)";
}

/// Splits CSV text into rows of trimmed cells (quotes around a cell are
/// removed; actions never contain commas).
std::vector<std::vector<std::string>> splitCsv(std::string_view csv) {
  std::vector<std::vector<std::string>> rows;
  size_t pos = 0;
  while (pos < csv.size()) {
    size_t end = csv.find('\n', pos);
    if (end == std::string_view::npos)
      end = csv.size();
    std::string_view line = csv.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    std::vector<std::string> cells;
    size_t c = 0;
    while (true) {
      size_t comma = line.find(',', c);
      std::string_view cell =
          line.substr(c, comma == std::string_view::npos ? line.npos
                                                         : comma - c);
      while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t'))
        cell.remove_prefix(1);
      while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t'))
        cell.remove_suffix(1);
      if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
        cell = cell.substr(1, cell.size() - 2);
      cells.emplace_back(cell);
      if (comma == std::string_view::npos)
        break;
      c = comma + 1;
    }
    if (cells.size() == 1 && cells[0].empty())
      cells.clear();
    rows.push_back(std::move(cells));
    pos = end + 1;
  }
  return rows;
}

/// What a message's two halves say, and where.
struct Halves {
  TorchCell send, recv;
  int sendIndex = -1, recvIndex = -1; // Position in their rows.
};

class Reader {
public:
  Reader(const Problem &problem, TorchReadResult &out)
      : problem(problem), out(out), numChunks(problem.numChunks()),
        numMb(problem.numMicrobatches) {}
  bool run(std::string_view csv);

private:
  bool fail(TorchCell at, const std::string &message) {
    out.at = at;
    out.error = message;
    return false;
  }
  bool readRow(int rank, const std::vector<std::string> &cells);
  bool readCell(int rank, TorchCell at, std::string_view text);
  bool apply(int rank, TorchCell at, const Action &a, std::string_view text);
  bool compute(int rank, TorchCell at, const Action &a, std::string_view t);
  bool message(int rank, TorchCell at, const Action &a, std::string_view t);
  bool reduce(int rank, TorchCell at, const Action &a, std::string_view t);
  bool checkComplete();
  bool checkMessages();

  const Problem &problem;
  TorchReadResult &out;
  int numChunks, numMb;
  int index = 0; // Position of the current cell in its row.
  std::map<std::tuple<int, int, int>, std::pair<TorchCell, int>> blocks;
  std::map<std::tuple<bool, int, int>, Halves> messages;
  std::set<int> reduced;
};

bool Reader::run(std::string_view csv) {
  std::vector<std::vector<std::string>> rows = splitCsv(csv);
  int ranks = problem.numDevices();
  if (int(rows.size()) != ranks)
    return fail({int(rows.size()), 0},
                "has " + std::to_string(rows.size()) + " rows, but the "
                "problem has " + std::to_string(ranks) +
                " devices (one row per pipeline rank)");
  out.schedule.algorithm = "torch";
  out.schedule.order.assign(ranks, {});
  out.cells.assign(ranks, {});
  for (int r = 0; r < ranks; ++r)
    if (!readRow(r, rows[r]))
      return false;
  return checkComplete() && checkMessages();
}

bool Reader::readRow(int rank, const std::vector<std::string> &cells) {
  index = 0;
  for (size_t c = 0; c < cells.size(); ++c) {
    TorchCell at{rank + 1, int(c) + 1};
    std::string_view text = cells[c];
    if (text.empty())
      continue; // An idle step.
    if (text.front() == '(') {
      // (a;b;...)OVERLAP_F_B: the sub-actions in order.
      size_t close = text.find(')');
      if (close == std::string_view::npos ||
          text.substr(close + 1) != "OVERLAP_F_B")
        return fail(at, "'" + std::string(text) +
                            "' is not of the form (a;b)OVERLAP_F_B");
      out.warnings.push_back(
          {at, "OVERLAP_F_B runs its sub-actions one after the other: the "
               "model does not overlap compute"});
      std::string_view subs = text.substr(1, close - 1);
      while (!subs.empty()) {
        size_t semi = subs.find(';');
        std::string_view sub = subs.substr(0, semi);
        if (!sub.empty() && !readCell(rank, at, sub))
          return false;
        subs = semi == std::string_view::npos ? "" : subs.substr(semi + 1);
      }
      continue;
    }
    if (!readCell(rank, at, text))
      return false;
  }
  return true;
}

bool Reader::readCell(int rank, TorchCell at, std::string_view text) {
  Action a;
  if (std::string err = parseAction(text, a); !err.empty())
    return fail(at, "'" + std::string(text) + "' " + err);
  if (a.stage >= numChunks)
    return fail(at, "'" + std::string(text) + "' names stage " +
                        std::to_string(a.stage) + ", but the problem has " +
                        std::to_string(numChunks) + " stages");
  int device = problem.chunks[a.stage].device;
  if (device != rank)
    return fail(at, "'" + std::string(text) + "': stage " +
                        std::to_string(a.stage) + " runs on rank " +
                        std::to_string(device) + " in the problem, not on " +
                        "rank " + std::to_string(rank));
  bool needsMb = a.type != Type::ReduceGrad && a.type != Type::Unshard &&
                 a.type != Type::Reshard;
  if (needsMb && a.mb < 0)
    return fail(at, "'" + std::string(text) + "' has no microbatch");
  if (!needsMb && a.mb >= 0)
    return fail(at, "'" + std::string(text) + "' takes no microbatch");
  if (a.mb >= numMb)
    return fail(at, "'" + std::string(text) + "' names microbatch " +
                        std::to_string(a.mb) + ", but the problem has " +
                        std::to_string(numMb));
  bool ok = apply(rank, at, a, text);
  ++index;
  return ok;
}

bool Reader::apply(int rank, TorchCell at, const Action &a,
                   std::string_view text) {
  switch (a.type) {
  case Type::F:
  case Type::I:
  case Type::B:
  case Type::W:
    return compute(rank, at, a, text);
  case Type::SendF:
  case Type::RecvF:
  case Type::SendB:
  case Type::RecvB:
    return message(rank, at, a, text);
  case Type::ReduceGrad:
    return reduce(rank, at, a, text);
  case Type::Unshard:
  case Type::Reshard:
    out.warnings.push_back(
        {at, std::string(text) + " is FSDP's; the model has no sharded "
                                 "parameters, so it is ignored"});
    return true;
  }
  return true;
}

bool Reader::compute(int rank, TorchCell at, const Action &a,
                     std::string_view text) {
  BlockKind kind = a.type == Type::F   ? BlockKind::F
                   : a.type == Type::B ? BlockKind::B
                   : a.type == Type::I ? BlockKind::D
                                       : BlockKind::W;
  bool split = kind == BlockKind::D || kind == BlockKind::W;
  if (kind != BlockKind::F && split != problem.splitBackward)
    return fail(at, "'" + std::string(text) + "': " +
                        (problem.splitBackward
                             ? "the problem splits the backward into I "
                               "(input gradient) and W (weight gradient)"
                             : "the problem has a fused backward B"));
  auto [it, fresh] =
      blocks.emplace(std::make_tuple(int(kind), a.stage, a.mb),
                     std::make_pair(at, index));
  if (!fresh)
    return fail(at, "'" + std::string(text) + "' repeats row " +
                        std::to_string(it->second.first.row) + ", column " +
                        std::to_string(it->second.first.column));
  out.schedule.order[rank].push_back(Block{kind, a.stage, a.mb});
  out.cells[rank].push_back(at);
  return true;
}

bool Reader::message(int rank, TorchCell at, const Action &a,
                     std::string_view text) {
  out.withComms = true;
  bool send = a.type == Type::SendF || a.type == Type::SendB;
  bool gradient = a.type == Type::SendB || a.type == Type::RecvB;
  // The stage on the other side of the boundary.
  int other = (a.type == Type::SendF || a.type == Type::RecvB) ? a.stage + 1
                                                               : a.stage - 1;
  std::string what = "'" + std::string(text) + "'";
  if (other < 0 || other >= numChunks)
    return fail(at, what + ": no stage " + std::to_string(other) +
                        " exists to " + (send ? "receive it" : "send it"));
  if (problem.chunks[other].device == rank)
    return fail(at, what + ": stages " + std::to_string(a.stage) + " and " +
                        std::to_string(other) + " share rank " +
                        std::to_string(rank) + ", so nothing is sent");
  int boundary = std::min(a.stage, other);
  Halves &h = messages[{gradient, boundary, a.mb}];
  TorchCell &mine = send ? h.send : h.recv;
  if (mine.row)
    return fail(at, what + " repeats row " + std::to_string(mine.row) +
                        ", column " + std::to_string(mine.column));
  mine = at;
  (send ? h.sendIndex : h.recvIndex) = index;
  if (send) {
    // Its producer must come first in this row.
    BlockKind producer = !gradient ? BlockKind::F
                         : problem.splitBackward ? BlockKind::D
                                                 : BlockKind::B;
    auto it = blocks.find({int(producer), a.stage, a.mb});
    if (it == blocks.end())
      return fail(at, what + " comes before the " +
                          (gradient ? std::string(torchKind(producer))
                                    : std::string("F")) +
                          " that produces it");
  }
  return true;
}

bool Reader::reduce(int rank, TorchCell at, const Action &a,
                    std::string_view text) {
  if (!reduced.insert(a.stage).second)
    return fail(at, "'" + std::string(text) + "' repeats the reduction of "
                                              "stage " +
                        std::to_string(a.stage));
  if (problem.dpDegree <= 1)
    return true; // Nothing to reduce without data parallelism.
  CollectiveNote n;
  n.program = rank;
  n.device = rank;
  n.computeBefore = int(out.schedule.order[rank].size());
  n.chunk = a.stage;
  out.collectives.push_back(n);
  out.collectiveCells.push_back(at);
  return true;
}

bool Reader::checkComplete() {
  std::vector<BlockKind> kinds = {BlockKind::F};
  if (problem.splitBackward) {
    kinds.push_back(BlockKind::D);
    kinds.push_back(BlockKind::W);
  } else {
    kinds.push_back(BlockKind::B);
  }
  for (int c = 0; c < numChunks; ++c)
    for (int m = 0; m < numMb; ++m)
      for (BlockKind k : kinds)
        if (!blocks.count({int(k), c, m})) {
          int rank = problem.chunks[c].device;
          return fail({rank + 1, 0}, "misses " + action(c, torchKind(k), m) +
                                         " (" + describe({k, c, m}) +
                                         ") on rank " + std::to_string(rank));
        }
  if (problem.dpDegree > 1 && !out.collectives.empty())
    for (int c = 0; c < numChunks; ++c)
      if (!reduced.count(c)) {
        int rank = problem.chunks[c].device;
        return fail({rank + 1, 0},
                    "has REDUCE_GRAD for some stages but not for stage " +
                        std::to_string(c) + " on rank " +
                        std::to_string(rank));
      }
  return true;
}

bool Reader::checkMessages() {
  if (!out.withComms)
    return true;
  for (int b = 0; b + 1 < numChunks; ++b) {
    int lower = problem.chunks[b].device, upper = problem.chunks[b + 1].device;
    if (lower == upper)
      continue;
    for (int m = 0; m < numMb; ++m)
      for (bool gradient : {false, true}) {
        Halves &h = messages[{gradient, b, m}];
        int src = gradient ? upper : lower, dst = gradient ? lower : upper;
        int srcStage = gradient ? b + 1 : b, dstStage = gradient ? b : b + 1;
        std::string send = action(srcStage, gradient ? "SEND_B" : "SEND_F", m);
        std::string recv = action(dstStage, gradient ? "RECV_B" : "RECV_F", m);
        if (!h.send.row)
          return fail(h.recv.row ? h.recv : TorchCell{src + 1, 0},
                      "misses " + send + " on rank " + std::to_string(src));
        if (!h.recv.row)
          return fail(h.send, "misses " + recv + " on rank " +
                                  std::to_string(dst));
        // The consumer comes after the receive.
        BlockKind consumer = !gradient ? BlockKind::F
                             : problem.splitBackward ? BlockKind::D
                                                     : BlockKind::B;
        const auto &[cell, at] = blocks[{int(consumer), dstStage, m}];
        if (at < h.recvIndex)
          return fail(cell, action(dstStage, torchKind(consumer), m) +
                                " comes before " + recv +
                                ", which brings its input");
      }
  }
  return true;
}
} // namespace

TorchReadResult crosspipe::sched::readTorchSchedule(const Problem &problem,
                                                    std::string_view csv) {
  TorchReadResult out;
  Reader reader(problem, out);
  out.ok = reader.run(csv);
  return out;
}
