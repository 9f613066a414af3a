//===- Profile.cpp - Measured times back into the model -------------------===//
//
// Samples from a Chrome trace or a CSV, checked against the problem, then a
// robust fit per chunk and block kind and per link; see the header.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/Profile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

using namespace crosspipe::sched;
using nlohmann::json;

namespace {

struct Sample {
  std::string where; ///< "line 7" or "event 12".
  int chunk = 0;
  BlockKind kind = BlockKind::F;
  int device = -1; ///< -1: not given.
  double ms = 0;   ///< Of the whole block.
};

struct Transfer {
  std::string where;
  int boundary = 0, src = 0, dst = 0;
  double ms = 0;
  /// Arrival minus the end of the link window, when the profile has both.
  double latencyMs = -1;
};

/// One half of a measured message in a runtime profile.
struct Half {
  std::string where;
  int device = 0;
  double startMs = 0, endMs = 0;
};

struct Samples {
  std::vector<Sample> blocks;
  std::vector<Transfer> transfers;
  int ignored = 0;
};

/// Thrown inside this file only, caught in fitProfile.
struct ProfileError {
  std::string message;
};

[[noreturn]] void fail(const std::string &where, const std::string &what) {
  throw ProfileError{where + ": " + what};
}

bool parseKind(std::string_view text, BlockKind &kind) {
  if (text == "F")
    kind = BlockKind::F;
  else if (text == "B")
    kind = BlockKind::B;
  else if (text == "D" || text == "I")
    kind = BlockKind::D;
  else if (text == "W")
    kind = BlockKind::W;
  else
    return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Chrome trace
//===----------------------------------------------------------------------===//

int intArg(const json &args, const char *name, const std::string &where,
           int fallback = -2) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) {
    if (fallback != -2)
      return fallback;
    fail(where, std::string("has no args.") + name);
  }
  if (!it->is_number_integer() || *it < 0 || *it > (1 << 30))
    fail(where, std::string("args.") + name + " is not a count");
  return it->get<int>();
}

double duration(const json &event, const std::string &where) {
  auto it = event.find("dur");
  if (it == event.end() || !it->is_number())
    fail(where, "has no numeric dur");
  double us = it->get<double>();
  if (!std::isfinite(us) || us < 0 || us > 1e15)
    fail(where, "has a dur that is not a finite non-negative time");
  return us / 1000.0;
}

void readTrace(std::string_view text, Samples &out) {
  if (text.find('\0') != std::string_view::npos)
    fail("the trace", "contains a NUL byte");
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded())
    fail("the trace", "is not valid JSON");
  const json *events = &doc;
  if (doc.is_object()) {
    auto it = doc.find("traceEvents");
    if (it == doc.end())
      fail("the trace", "has no traceEvents");
    events = &*it;
  }
  if (!events->is_array())
    fail("the trace", "traceEvents is not an array");
  for (size_t i = 0; i < events->size(); ++i) {
    const json &e = (*events)[i];
    std::string where = "event " + std::to_string(i);
    if (!e.is_object())
      fail(where, "is not an object");
    auto ph = e.find("ph");
    auto args = e.find("args");
    if (ph == e.end() || *ph != "X" || args == e.end() || !args->is_object()) {
      ++out.ignored;
      continue;
    }
    auto op = args->find("op");
    if (op == args->end() || !op->is_string()) {
      ++out.ignored;
      continue;
    }
    std::string name = op->get<std::string>();
    if (name == "xfer") {
      Transfer t;
      t.where = where;
      t.boundary = intArg(*args, "chunk", where);
      t.src = intArg(*args, "src", where);
      t.dst = intArg(*args, "dst", where);
      t.ms = duration(e, where);
      out.transfers.push_back(t);
      continue;
    }
    Sample s;
    if (!parseKind(name, s.kind)) {
      ++out.ignored; // Collectives and other events.
      continue;
    }
    s.where = where;
    s.chunk = intArg(*args, "chunk", where);
    s.device = intArg(*args, "device", where, -1);
    int parts = intArg(*args, "parts", where, 1);
    s.ms = duration(e, where) * std::max(parts, 1);
    out.blocks.push_back(s);
  }
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

std::vector<std::string> splitCells(const std::string &line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    size_t b = cell.find_first_not_of(" \t\r\"");
    size_t e = cell.find_last_not_of(" \t\r\"");
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  if (!line.empty() && line.back() == ',')
    cells.push_back("");
  return cells;
}

double number(const std::string &text, const std::string &where,
              const std::string &column) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || std::fabs(v) > 1e15)
    fail(where, "column " + column + " is not a number: '" + text + "'");
  return v;
}

int count(const std::string &text, const std::string &where,
          const std::string &column) {
  double v = number(text, where, column);
  if (v < 0 || v > (1 << 30) || v != std::floor(v))
    fail(where, "column " + column + " is not a count: '" + text + "'");
  return int(v);
}

/// A '#' comment line may carry the run's time scale ("... time_scale X"),
/// as crosspipe-host-run's --profile writes it; times are then divided by it.
/// Prose that mentions time_scale without a number after it is skipped.
void readTimeScale(const std::string &line, int n, double &scale) {
  for (size_t at = line.find("time_scale "); at != std::string::npos;
       at = line.find("time_scale ", at + 1)) {
    std::stringstream rest(line.substr(at + 11));
    std::string value;
    rest >> value;
    char *end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0')
      continue;
    if (!(v >= 1e-9 && v <= 1e9))
      fail("line " + std::to_string(n),
           "time_scale must be in [1e-9, 1e9]");
    scale = v;
  }
}

/// The halves of the runtime's messages by (step, gradient, boundary, mb).
using MessageHalves = std::map<std::tuple<int, bool, int, int>, Half>;

/// Pairs each send with its receive: the send's window is the message's
/// time on the link, the receive's end its arrival. A half without its
/// other half is ignored.
void pairMessages(const MessageHalves &sends, const MessageHalves &recvs,
                  Samples &out) {
  for (const auto &[key, h] : sends) {
    auto r = recvs.find(key);
    if (r == recvs.end()) {
      ++out.ignored;
      continue;
    }
    Transfer t;
    t.where = h.where;
    t.boundary = std::get<2>(key);
    t.src = h.device;
    t.dst = r->second.device;
    t.ms = h.endMs - h.startMs;
    t.latencyMs = std::max(0.0, r->second.endMs - h.endMs);
    out.transfers.push_back(t);
  }
}

void readCsv(std::string_view text, Samples &out) {
  std::stringstream lines{std::string(text)};
  std::string line;
  int n = 1;
  double scale = 1;
  // Comment lines ('#') may precede the header.
  for (; std::getline(lines, line); ++n) {
    if (line.empty() || line[0] != '#')
      break;
    readTimeScale(line, n, scale);
  }
  if (line.empty() || line[0] == '#')
    fail("line " + std::to_string(n), "the profile is empty");
  MessageHalves sends, recvs;
  std::string headerLine = "line " + std::to_string(n);
  std::vector<std::string> header = splitCells(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i)
    col[header[i]] = i;
  auto has = [&](const char *c) { return col.count(c) > 0; };
  const char *kindCol = has("kind") ? "kind" : "op";
  if (!has("chunk") || !has(kindCol) ||
      !(has("ms") || (has("start_ms") && has("end_ms"))))
    fail(headerLine, "the header must name the columns chunk, kind (or op) "
                     "and ms (or start_ms and end_ms)");
  for (++n; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#')
      continue;
    std::string where = "line " + std::to_string(n);
    std::vector<std::string> cells = splitCells(line);
    if (cells.size() != header.size())
      fail(where, "has " + std::to_string(cells.size()) + " columns, the "
                  "header " + std::to_string(header.size()));
    auto cell = [&](const char *c) { return cells[col[c]]; };
    Sample s;
    std::string op = cell(kindCol);
    bool send = op == "SEND_ACT" || op == "SEND_GRAD";
    bool recv = op == "RECV_ACT" || op == "RECV_GRAD";
    if ((send || recv) && has("step") && has("device") && has("mb") &&
        has("start_ms") && has("end_ms")) {
      // The runtime's sends and receives: a message's link window, and its
      // arrival (a receive ends when the message arrives).
      Half h{where, count(cell("device"), where, "device"),
             number(cell("start_ms"), where, "start_ms") / scale,
             number(cell("end_ms"), where, "end_ms") / scale};
      auto key = std::make_tuple(count(cell("step"), where, "step"),
                                 op.back() == 'D',
                                 count(cell("chunk"), where, "chunk"),
                                 count(cell("mb"), where, "mb"));
      (send ? sends : recvs)[key] = h;
      continue;
    }
    if (!parseKind(op, s.kind)) {
      ++out.ignored; // Collectives, or messages without their times.
      continue;
    }
    s.where = where;
    s.chunk = count(cell("chunk"), where, "chunk");
    if (has("device"))
      s.device = count(cell("device"), where, "device");
    s.ms = has("ms") ? number(cell("ms"), where, "ms")
                     : number(cell("end_ms"), where, "end_ms") -
                           number(cell("start_ms"), where, "start_ms");
    if (s.ms < 0)
      fail(where,
           has("ms") ? "column ms is negative" : "ends before it starts");
    if (has("parts"))
      s.ms *= std::max(count(cell("parts"), where, "parts"), 1);
    s.ms /= scale;
    out.blocks.push_back(s);
  }
  pairMessages(sends, recvs, out);
}

//===----------------------------------------------------------------------===//
// Fitting
//===----------------------------------------------------------------------===//

/// Measured figures keep 9 significant digits: the microsecond round trip
/// of a trace leaves noise beyond them (83.88607999999881 for 83.88608).
double significant(double v) {
  if (v == 0 || !std::isfinite(v))
    return v;
  double scale = std::pow(10.0, 8 - std::floor(std::log10(std::fabs(v))));
  return std::round(v * scale) / scale;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The median after dropping outliers beyond 3 scaled MADs; `dropped` gets
/// their count.
double robustMedian(const std::vector<double> &v, int &dropped) {
  double m = median(v);
  std::vector<double> dev;
  for (double x : v)
    dev.push_back(std::fabs(x - m));
  double mad = 1.4826 * median(dev);
  std::vector<double> kept;
  for (double x : v)
    if (mad == 0 || std::fabs(x - m) <= 3 * mad)
      kept.push_back(x);
  dropped = int(v.size() - kept.size());
  return significant(median(kept));
}

void checkFits(const Problem &problem, const Samples &s) {
  int chunks = problem.numChunks(), devices = problem.numDevices();
  for (const Sample &b : s.blocks) {
    if (b.chunk >= chunks)
      fail(b.where, "names chunk " + std::to_string(b.chunk) +
                        ", but the problem has " + std::to_string(chunks));
    if (b.device >= devices)
      fail(b.where, "names device " + std::to_string(b.device) +
                        ", but the problem has " + std::to_string(devices));
    int placed = problem.chunks[b.chunk].device;
    if (b.device >= 0 && b.device != placed)
      fail(b.where, "ran chunk " + std::to_string(b.chunk) + " on device " +
                        std::to_string(b.device) +
                        ", but the problem places it on device " +
                        std::to_string(placed));
    bool split = b.kind == BlockKind::D || b.kind == BlockKind::W;
    if (b.kind != BlockKind::F && split != problem.splitBackward)
      fail(b.where, std::string("measures a ") + blockKindName(b.kind) +
                        " block, but the problem has " +
                        (problem.splitBackward ? "a split backward (D and W)"
                                               : "a fused backward (B)"));
  }
  for (const Transfer &t : s.transfers) {
    if (t.boundary + 1 >= chunks || t.src >= devices || t.dst >= devices ||
        t.src == t.dst)
      fail(t.where, "is a transfer the problem cannot have (boundary " +
                        std::to_string(t.boundary) + ", device " +
                        std::to_string(t.src) + " to " +
                        std::to_string(t.dst) + ")");
  }
}

std::string shortNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double *costOf(Problem &p, int chunk, BlockKind kind) {
  Chunk &c = p.chunks[chunk];
  switch (kind) {
  case BlockKind::F:
    return &c.forwardMs;
  case BlockKind::B:
    return &c.backwardMs;
  case BlockKind::D:
    return &c.dgradMs;
  case BlockKind::W:
    return &c.wgradMs;
  }
  return nullptr;
}

void fitBlocks(Problem &problem, const Samples &s, ProfileFit &fit) {
  std::map<std::pair<int, int>, std::vector<double>> byBlock;
  for (const Sample &b : s.blocks)
    byBlock[{b.chunk, int(b.kind)}].push_back(b.ms);
  std::vector<BlockKind> kinds = {BlockKind::F};
  if (problem.splitBackward) {
    kinds.push_back(BlockKind::D);
    kinds.push_back(BlockKind::W);
  } else {
    kinds.push_back(BlockKind::B);
  }
  for (int c = 0; c < problem.numChunks(); ++c)
    for (BlockKind k : kinds) {
      std::string what =
          "chunk " + std::to_string(c) + " " + blockKindName(k);
      auto it = byBlock.find({c, int(k)});
      if (it == byBlock.end()) {
        fit.notes.push_back(what + ": not measured, model kept");
        continue;
      }
      ProfileFigure f;
      f.what = what;
      f.chunk = c;
      f.kind = k;
      double *cost = costOf(problem, c, k);
      f.modelValue = *cost;
      f.measuredValue = robustMedian(it->second, f.dropped);
      f.samples = int(it->second.size());
      if (!std::isfinite(f.measuredValue))
        fail(what, "measured a time the model cannot hold");
      if (!(f.measuredValue > 0))
        fail(what, "measured " + shortNumber(f.measuredValue) +
                       " ms; a block takes a positive time");
      fit.figures.push_back(f);
    }
}

void fitLinks(Problem &problem, const Samples &s, ProfileFit &fit) {
  // Keyed by (from DC, to DC): the links the model has.
  std::map<std::pair<int, int>, std::vector<double>> gbps, latency;
  bool arrivals = false;
  for (const Transfer &t : s.transfers) {
    if (t.latencyMs >= 0) {
      arrivals = true;
      latency[{problem.dcOfDevice(t.src), problem.dcOfDevice(t.dst)}]
          .push_back(t.latencyMs);
    }
    uint64_t bytes = problem.chunks[t.boundary].messageBytes;
    if (bytes == 0 || t.ms <= 0)
      continue;
    gbps[{problem.dcOfDevice(t.src), problem.dcOfDevice(t.dst)}].push_back(
        double(bytes) * 8 / (t.ms * 1e-3) / 1e9);
  }
  for (auto &[pair, values] : gbps) {
    for (DcLink &link : problem.links) {
      if (link.fromDc != pair.first || link.toDc != pair.second)
        continue;
      ProfileFigure f;
      f.what = "link " + problem.datacenters[pair.first].name + "->" +
               problem.datacenters[pair.second].name + " bandwidth";
      f.fromDc = pair.first;
      f.toDc = pair.second;
      f.unit = "Gbps";
      f.modelValue = link.cost.bandwidthGbps;
      f.measuredValue = robustMedian(values, f.dropped);
      f.samples = int(values.size());
      if (!std::isfinite(f.measuredValue))
        fail(f.what, "measured a value the model cannot hold");
      fit.figures.push_back(f);
    }
  }
  for (auto &[pair, values] : latency)
    for (DcLink &link : problem.links) {
      if (link.fromDc != pair.first || link.toDc != pair.second)
        continue;
      ProfileFigure f;
      f.what = "link " + problem.datacenters[pair.first].name + "->" +
               problem.datacenters[pair.second].name + " latency";
      f.fromDc = pair.first;
      f.toDc = pair.second;
      f.latency = true;
      f.modelValue = link.cost.latencyMs;
      f.measuredValue = robustMedian(values, f.dropped);
      f.samples = int(values.size());
      if (!std::isfinite(f.measuredValue))
        fail(f.what, "measured a value the model cannot hold");
      fit.figures.push_back(f);
    }
  if (!s.transfers.empty() && !arrivals)
    fit.notes.push_back("link latencies kept: the profile carries no "
                        "arrival times");
}

void apply(Problem &problem, const ProfileFit &fit) {
  for (const ProfileFigure &f : fit.figures) {
    if (f.chunk >= 0) {
      *costOf(problem, f.chunk, f.kind) = f.measuredValue;
      if (problem.splitBackward)
        problem.chunks[f.chunk].backwardMs =
            problem.chunks[f.chunk].dgradMs + problem.chunks[f.chunk].wgradMs;
      continue;
    }
    for (DcLink &link : problem.links)
      if (link.fromDc == f.fromDc && link.toDc == f.toDc)
        (f.latency ? link.cost.latencyMs : link.cost.bandwidthGbps) =
            f.measuredValue;
  }
}
} // namespace

ProfileFit crosspipe::sched::fitProfile(Problem &problem,
                                        std::string_view text) {
  ProfileFit fit;
  try {
    Samples samples;
    size_t first = text.find_first_not_of(" \t\r\n");
    bool trace = first != std::string_view::npos &&
                 (text[first] == '{' || text[first] == '[');
    if (trace)
      readTrace(text, samples);
    else
      readCsv(text, samples);
    if (samples.blocks.empty())
      fail(trace ? "the trace" : "the profile", "measures no compute block");
    checkFits(problem, samples);
    Problem fitted = problem;
    fitBlocks(fitted, samples, fit);
    fitLinks(fitted, samples, fit);
    if (samples.ignored)
      fit.notes.push_back(std::to_string(samples.ignored) +
                          " entries of other kinds ignored");
    apply(fitted, fit);
    problem = std::move(fitted);
    fit.ok = true;
  } catch (const ProfileError &e) {
    fit.error = e.message;
    fit.figures.clear();
  } catch (const std::exception &e) {
    fit.error = std::string("cannot read the profile: ") + e.what();
    fit.figures.clear();
  }
  return fit;
}
