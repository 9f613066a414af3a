//===- SvgTimeline.cpp - Chrome trace events to timeline rows -------------===//
//
// The reading half of SvgTimeline.h: Chrome trace JSON to rows of blocks.
// It keys on each event's "args" (op, device, chunk, mb, link), the part of
// the trace contract that a measured trace shares with a simulated one, and
// never on process or thread ids, which a runtime is free to number its own
// way. The drawing half is SvgTimelineRender.cpp.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

using namespace crosspipe::sched;
using nlohmann::json;

namespace {

std::string formatMs(double ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", ms);
  return buffer;
}

/// An integer argument, or `fallback` when absent or not an integer.
int intArg(const json &args, const char *key, int fallback) {
  auto it = args.find(key);
  return it != args.end() && it->is_number_integer() ? it->get<int>()
                                                     : fallback;
}

std::string stringArg(const json &args, const char *key) {
  auto it = args.find(key);
  return it != args.end() && it->is_string() ? it->get<std::string>() : "";
}

double number(const json &event, const char *key) {
  auto it = event.find(key);
  return it != event.end() && it->is_number() ? it->get<double>() : 0.0;
}

/// "devA->devB" as (A, B); named datacenter links sort before device pairs.
std::pair<int, int> linkOrder(const std::string &name) {
  int a = 0, b = 0;
  if (std::sscanf(name.c_str(), "dev%d->dev%d", &a, &b) == 2)
    return {a, b};
  return {-1, -1};
}

struct Collected {
  std::map<int, TimelineRow> devices, collectives;
  std::map<std::string, TimelineRow> links;
  std::map<std::pair<int, int>, TimelineRow> others;
  /// Chunks seen per device, for shades.
  std::map<int, std::set<int>> chunksOn;
};

/// (pid, tid) to the name the trace's metadata gives the thread.
using ThreadNames = std::map<std::pair<int, int>, std::string>;

/// The events of a trace object, or the document itself when it is a bare
/// array; null, with `parsed.error` set, when it is neither.
const json *findEvents(const json &document, ParsedTimeline &parsed) {
  if (document.is_object()) {
    auto it = document.find("traceEvents");
    if (it == document.end() || !it->is_array()) {
      parsed.error = "expected a 'traceEvents' array";
      return nullptr;
    }
    return &*it;
  }
  if (!document.is_array()) {
    parsed.error = "expected a trace object or an array of events";
    return nullptr;
  }
  return &document;
}

/// The title, makespan and lower bound from the trace's otherData, if any.
void readSummary(const json &document, Timeline &timeline) {
  if (!document.is_object())
    return;
  auto other = document.find("otherData");
  if (other == document.end() || !other->is_object())
    return;
  std::string problem = stringArg(*other, "problem");
  std::string algorithm = stringArg(*other, "algorithm");
  timeline.title = problem.empty() || algorithm.empty()
                       ? problem + algorithm
                       : problem + ": " + algorithm;
  timeline.makespanMs = number(*other, "makespan_ms");
  timeline.lowerBoundMs = number(*other, "lower_bound_ms");
}

/// Thread names come first: they name the rows of events outside the
/// contract.
ThreadNames readThreadNames(const json &events) {
  ThreadNames threadNames;
  for (const json &e : events)
    if (e.is_object() && e.value("ph", "") == "M" &&
        e.value("name", "") == "thread_name" && e.contains("args"))
      threadNames[{intArg(e, "pid", 0), intArg(e, "tid", 0)}] =
          stringArg(e["args"], "name");
  return threadNames;
}

bool isComplete(const json &e) {
  return e.is_object() && e.value("ph", "") == "X";
}

/// The start of the earliest complete event, 0 when there is none.
double earliestStart(const json &events) {
  double origin = std::numeric_limits<double>::infinity();
  for (const json &e : events)
    if (isComplete(e))
      origin = std::min(origin, number(e, "ts"));
  if (origin == std::numeric_limits<double>::infinity())
    origin = 0;
  return origin;
}

/// A complete event as read, before it is sorted into a row.
struct Event {
  const json &raw;
  /// The event's "args", an empty object when it has none.
  const json &args;
  std::string op;
  int chunk;
  int mb;
  /// Its times (shifted to the origin) and chunk; kind, label and tooltip
  /// are left to the row that takes it.
  TimelineBlock block;
  /// " [start, end] ms" and " chunk c mb m", for the tooltip.
  std::string when;
  std::string what;
};

Event readEvent(const json &e, double origin) {
  static const json kNoArgs = json::object();
  auto argsIt = e.find("args");
  const json &args =
      argsIt != e.end() && argsIt->is_object() ? *argsIt : kNoArgs;
  TimelineBlock block;
  block.startMs = (number(e, "ts") - origin) / 1e3;
  block.endMs = block.startMs + std::max(number(e, "dur"), 0.0) / 1e3;
  int chunk = intArg(args, "chunk", -1);
  int mb = intArg(args, "mb", -1);
  block.chunk = chunk;
  std::string when =
      " [" + formatMs(block.startMs) + ", " + formatMs(block.endMs) + "] ms";
  std::string what =
      " chunk " + std::to_string(chunk) + " mb " + std::to_string(mb);
  return {e, args, stringArg(args, "op"), chunk, mb, block, when, what};
}

/// A compute block (F, B, D or W) goes to its device's row.
void addCompute(const Event &event, Collected &rows) {
  const std::string &op = event.op;
  TimelineBlock block = event.block;
  block.kind = op == "F"   ? TimelineKind::F
               : op == "B" ? TimelineKind::B
               : op == "D" ? TimelineKind::D
                           : TimelineKind::W;
  int device = intArg(event.args, "device", intArg(event.raw, "tid", 0));
  block.label =
      event.mb >= 0 ? std::to_string(event.mb) : event.raw.value("name", "");
  block.tooltip =
      op + event.what + " on device " + std::to_string(device) + event.when;
  TimelineRow &row = rows.devices[device];
  row.blocks.push_back(block);
  if (event.chunk >= 0)
    rows.chunksOn[device].insert(event.chunk);
}

/// A message's bandwidth window goes to its link's row.
void addTransfer(const Event &event, Collected &rows) {
  TimelineBlock block = event.block;
  bool gradient = stringArg(event.args, "kind") == "grad";
  block.kind = gradient ? TimelineKind::Gradient : TimelineKind::Activation;
  std::string link = stringArg(event.args, "link");
  if (link.empty())
    link = "link " + std::to_string(intArg(event.raw, "tid", 0));
  block.label = event.mb >= 0 ? std::to_string(event.mb) : "";
  block.tooltip = std::string(gradient ? "grad" : "act") + event.what + " " +
                  link + event.when;
  TimelineRow &row = rows.links[link];
  row.type = TimelineRowType::Link;
  row.name = link;
  row.blocks.push_back(block);
}

/// A DP collective goes to its device's collective row.
void addCollective(const Event &event, Collected &rows) {
  const std::string &op = event.op;
  TimelineBlock block = event.block;
  block.kind = op == "allreduce"       ? TimelineKind::AllReduce
               : op == "reducescatter" ? TimelineKind::ReduceScatter
                                       : TimelineKind::AllGather;
  int device = intArg(event.args, "device", intArg(event.raw, "tid", 0));
  block.label = event.chunk >= 0 ? "c" + std::to_string(event.chunk) : "";
  block.tooltip = op + " chunk " + std::to_string(event.chunk) + " on device " +
                  std::to_string(device) + event.when;
  TimelineRow &row = rows.collectives[device];
  row.type = TimelineRowType::Collective;
  row.name = "device " + std::to_string(device) + " DP";
  row.blocks.push_back(block);
}

/// An event outside the contract stays visible on its own thread's row.
void addOther(const Event &event, const ThreadNames &threadNames,
              Collected &rows) {
  std::pair<int, int> thread{intArg(event.raw, "pid", 0),
                             intArg(event.raw, "tid", 0)};
  TimelineBlock block = event.block;
  block.kind = TimelineKind::Other;
  block.tooltip = event.raw.value("name", std::string("event")) + event.when;
  TimelineRow &row = rows.others[thread];
  row.type = TimelineRowType::Other;
  auto name = threadNames.find(thread);
  row.name = name != threadNames.end() && !name->second.empty()
                 ? name->second
                 : "pid " + std::to_string(thread.first) + " tid " +
                       std::to_string(thread.second);
  row.blocks.push_back(block);
}

/// Sorts every complete event into a row.
void collectEvents(const json &events, Timeline &timeline, Collected &rows) {
  ThreadNames threadNames = readThreadNames(events);
  double origin = earliestStart(events);
  for (const json &e : events) {
    if (!isComplete(e))
      continue;
    Event event = readEvent(e, origin);
    const std::string &op = event.op;
    timeline.endMs = std::max(timeline.endMs, event.block.endMs);
    if (op == "F" || op == "B" || op == "D" || op == "W") {
      addCompute(event, rows);
    } else if (op == "xfer") {
      addTransfer(event, rows);
    } else if (op == "allreduce" || op == "reducescatter" ||
               op == "allgather") {
      addCollective(event, rows);
    } else {
      addOther(event, threadNames, rows);
      ++timeline.ignoredEvents;
    }
  }
}

/// The timeline's rows: devices (every one up to the highest seen, idle or
/// not, shaded by chunk), links, collectives, then the others; each row's
/// blocks in time order.
void appendRows(Collected &rows, Timeline &timeline) {
  int maxDevice = -1;
  for (const auto &[device, row] : rows.devices)
    maxDevice = std::max(maxDevice, device);
  for (const auto &[device, row] : rows.collectives)
    maxDevice = std::max(maxDevice, device);
  for (int d = 0; d <= maxDevice; ++d) {
    TimelineRow &row = rows.devices[d];
    row.type = TimelineRowType::Device;
    row.name = "device " + std::to_string(d);
    std::vector<int> chunks(rows.chunksOn[d].begin(), rows.chunksOn[d].end());
    for (TimelineBlock &b : row.blocks) {
      auto it = std::find(chunks.begin(), chunks.end(), b.chunk);
      b.shade = it == chunks.end() ? 0 : int(it - chunks.begin());
    }
    timeline.rows.push_back(std::move(row));
  }
  std::vector<std::pair<std::string, TimelineRow>> links(rows.links.begin(),
                                                         rows.links.end());
  std::stable_sort(links.begin(), links.end(),
                   [](const auto &a, const auto &b) {
                     return linkOrder(a.first) < linkOrder(b.first);
                   });
  for (auto &[name, row] : links)
    timeline.rows.push_back(std::move(row));
  for (auto &[device, row] : rows.collectives)
    timeline.rows.push_back(std::move(row));
  for (auto &[thread, row] : rows.others)
    timeline.rows.push_back(std::move(row));
  for (TimelineRow &row : timeline.rows)
    std::stable_sort(row.blocks.begin(), row.blocks.end(),
                     [](const TimelineBlock &a, const TimelineBlock &b) {
                       return a.startMs < b.startMs;
                     });
}

} // namespace

ParsedTimeline
crosspipe::sched::parseChromeTraceTimeline(std::string_view text) {
  ParsedTimeline parsed;
  json document = json::parse(text.begin(), text.end(), nullptr,
                              /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    parsed.error = "not valid JSON";
    return parsed;
  }
  const json *events = findEvents(document, parsed);
  if (!events)
    return parsed;
  readSummary(document, parsed.timeline);
  Collected rows;
  collectEvents(*events, parsed.timeline, rows);
  appendRows(rows, parsed.timeline);
  parsed.ok = true;
  return parsed;
}

Timeline crosspipe::sched::timelineFromSimulation(const Problem &problem,
                                                  const Schedule &schedule,
                                                  const SimResult &result,
                                                  const TraceSummary &summary) {
  ParsedTimeline parsed = parseChromeTraceTimeline(
      writeChromeTrace(problem, schedule, result, summary));
  // The writer's output always parses; an empty timeline would show a bug.
  return parsed.timeline;
}
