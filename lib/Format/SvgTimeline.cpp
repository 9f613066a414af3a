//===- SvgTimeline.cpp - Chrome trace events to timeline rows -------------===//
//
// The reading half of SvgTimeline.h: Chrome trace JSON to rows of blocks.
// It keys on each event's "args" (op, device, chunk, mb, link), the part of
// the trace contract that a measured trace shares with a simulated one, and
// never on process or thread ids, which a runtime is free to number its own
// way. Traces come from outside, so every event is checked (types, times,
// device indices, the number of rows) before any is read, and a malformed
// one is an error naming it rather than an exception or a huge picture. The
// drawing half is SvgTimelineRender.cpp.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/SvgTimeline.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
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

/// A malformed trace: unwinds from the check that found it to
/// parseChromeTraceTimeline, which returns it as the error.
struct TraceError {
  std::string message;
};

[[noreturn]] void reject(const std::string &where, const std::string &what) {
  throw TraceError{where + ": " + what};
}

/// A short rendering of a value for messages; never throws on bad UTF-8.
std::string shown(const json &value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() <= 40 ? text : text.substr(0, 40) + "...";
}

/// `key` of `object`, when present, must be a string.
void checkString(const json &object, const char *key, const std::string &where,
                 const std::string &field) {
  auto it = object.find(key);
  if (it != object.end() && !it->is_string())
    reject(where, "'" + field + "' must be a string, got " + shown(*it));
}

/// `key` of `object`, when present, must be an integer that fits an int.
void checkInt(const json &object, const char *key, const std::string &where,
              const std::string &field) {
  auto it = object.find(key);
  if (it == object.end())
    return;
  bool fits = it->is_number_unsigned()
                  ? it->get<uint64_t>() <= uint64_t(INT_MAX)
                  : it->is_number_integer() && it->get<int64_t>() >= INT_MIN &&
                        it->get<int64_t>() <= INT_MAX;
  if (!fits)
    reject(where, "'" + field + "' must be an integer from " +
                      std::to_string(INT_MIN) + " to " +
                      std::to_string(INT_MAX) + ", got " + shown(*it));
}

/// `key` of a complete event (microseconds): a number of magnitude at most
/// kMaxTraceTimeUs, so that times and the picture's extent stay finite.
void checkTime(const json &event, const char *key, bool required,
               const std::string &where) {
  auto it = event.find(key);
  if (it == event.end()) {
    if (required)
      reject(where, std::string("missing '") + key + "' (the start time)");
    return;
  }
  if (!it->is_number())
    reject(where,
           std::string("'") + key + "' must be a number, got " + shown(*it));
  double v = it->get<double>();
  if (!(std::fabs(v) <= kMaxTraceTimeUs))
    reject(where, std::string("'") + key + "' " + shown(*it) +
                      " is out of range (at most 1e17 microseconds)");
}

bool isComputeOp(const std::string &op) {
  return op == "F" || op == "B" || op == "D" || op == "W";
}
bool isCollectiveOp(const std::string &op) {
  return op == "allreduce" || op == "reducescatter" || op == "allgather";
}

/// The contract fields of a complete event's args: their types, and a
/// device index within kMaxTimelineDevices (a row is drawn for every device
/// up to the highest).
void checkCompleteEvent(const json &e, const json &args,
                        const std::string &where) {
  checkTime(e, "ts", /*required=*/true, where);
  checkTime(e, "dur", /*required=*/false, where);
  for (const char *key : {"op", "kind", "link"})
    checkString(args, key, where, std::string("args.") + key);
  for (const char *key : {"device", "chunk", "mb"})
    checkInt(args, key, where, std::string("args.") + key);
  std::string op = args.value("op", "");
  if (!isComputeOp(op) && !isCollectiveOp(op))
    return;
  auto device = args.find("device");
  const json *index = device != args.end() ? &*device : nullptr;
  if (!index && e.contains("tid"))
    index = &e["tid"];
  if (index && !(index->get<int64_t>() >= 0 &&
                 index->get<int64_t>() < kMaxTimelineDevices))
    reject(where, std::string(device != args.end() ? "args.device" : "tid") +
                      " " + shown(*index) +
                      " is not a device index from 0 to " +
                      std::to_string(kMaxTimelineDevices - 1));
}

/// Checks the types the reader relies on, so that reading cannot fail
/// halfway: every event is an object with a string "ph", a string "name"
/// and integer ids if given, and an object "args" if given.
void checkEvent(const json &e, const std::string &where) {
  if (!e.is_object())
    reject(where, "expected an event object, got " + shown(e));
  auto ph = e.find("ph");
  if (ph == e.end())
    reject(where, "missing 'ph' (the event type)");
  checkString(e, "ph", where, "ph");
  checkString(e, "name", where, "name");
  checkInt(e, "pid", where, "pid");
  checkInt(e, "tid", where, "tid");
  static const json kNoArgs = json::object();
  auto args = e.find("args");
  if (args != e.end() && !args->is_object())
    reject(where, "'args' must be an object, got " + shown(*args));
  const json &argsObject = args != e.end() ? *args : kNoArgs;
  if (*ph == "X")
    checkCompleteEvent(e, argsObject, where);
  else if (*ph == "M")
    checkString(argsObject, "name", where, "args.name");
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

  /// The rows appendRows() will make: every device up to the highest seen.
  std::size_t rowCount() const {
    int maxDevice = -1;
    if (!devices.empty())
      maxDevice = devices.rbegin()->first;
    if (!collectives.empty())
      maxDevice = std::max(maxDevice, collectives.rbegin()->first);
    return std::size_t(maxDevice + 1) + links.size() + collectives.size() +
           others.size();
  }
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

/// "traceEvents[3]" (or "events[3]" in a bare array), for messages.
std::string eventName(bool bare, std::size_t index) {
  return std::string(bare ? "events[" : "traceEvents[") +
         std::to_string(index) + "]";
}

/// Sorts every complete event into a row.
void collectEvents(const json &events, bool bare, Timeline &timeline,
                   Collected &rows) {
  ThreadNames threadNames = readThreadNames(events);
  double origin = earliestStart(events);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json &e = events[i];
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
    if (rows.rowCount() > std::size_t(kMaxTimelineRows))
      reject(eventName(bare, i), "the timeline would have more than " +
                                     std::to_string(kMaxTimelineRows) +
                                     " rows");
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

/// "line 3, column 7" of a byte offset.
std::string lineAndColumn(std::string_view text, std::size_t offset) {
  std::size_t lineStart = text.rfind('\n', offset ? offset - 1 : 0);
  lineStart =
      lineStart == std::string_view::npos || offset == 0 ? 0 : lineStart + 1;
  std::size_t line =
      1 + std::size_t(std::count(text.begin(), text.begin() + offset, '\n'));
  return "line " + std::to_string(line) + ", column " +
         std::to_string(offset - lineStart + 1);
}

/// Parses, checks and reads the trace; throws TraceError when malformed.
void readTrace(std::string_view text, ParsedTimeline &parsed) {
  // nlohmann's lexer takes a NUL byte for the end of the input and would
  // accept whatever follows; JSON text never contains one.
  std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos)
    throw TraceError{"not valid JSON: a NUL byte at " +
                     lineAndColumn(text, nul)};
  json document = json::parse(text.begin(), text.end(), nullptr,
                              /*allow_exceptions=*/false);
  if (document.is_discarded())
    throw TraceError{"not valid JSON"};
  const json *events = findEvents(document, parsed);
  if (!events)
    return;
  bool bare = document.is_array();
  for (std::size_t i = 0; i < events->size(); ++i)
    checkEvent((*events)[i], eventName(bare, i));
  readSummary(document, parsed.timeline);
  Collected rows;
  collectEvents(*events, bare, parsed.timeline, rows);
  appendRows(rows, parsed.timeline);
  parsed.ok = true;
}

} // namespace

ParsedTimeline
crosspipe::sched::parseChromeTraceTimeline(std::string_view text) {
  ParsedTimeline parsed;
  // Nothing may escape: the checks above should leave nlohmann nothing to
  // throw, but a type error missed there or exhausted memory is reported.
  try {
    readTrace(text, parsed);
  } catch (const TraceError &error) {
    parsed.error = error.message;
  } catch (const std::exception &e) {
    parsed.error = std::string("cannot read the trace: ") + e.what();
  } catch (...) {
    parsed.error = "cannot read the trace";
  }
  if (!parsed.ok)
    parsed.timeline = Timeline();
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
