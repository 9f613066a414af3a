//===- ChromeTrace.cpp - Timelines as Chrome trace JSON -------------------===//
//
// Devices are threads of process 0, links threads of process 1, DP
// communication streams threads of process 2, so Perfetto shows compute,
// network and collectives as separate tracks. Times are microseconds.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/ChromeTrace.h"

#include <nlohmann/json.hpp>

#include <map>

using namespace crosspipe::sched;
using nlohmann::json;

namespace {
constexpr int kComputePid = 0;
constexpr int kLinkPid = 1;
constexpr int kCollectivePid = 2;

json metadata(const char *what, int pid, int tid, const std::string &name) {
  json event = {
      {"name", what}, {"ph", "M"}, {"pid", pid}, {"args", {{"name", name}}}};
  if (tid >= 0)
    event["tid"] = tid;
  return event;
}

json complete(const std::string &name, int pid, int tid, const Interval &t,
              json args) {
  return {{"name", name},
          {"ph", "X"},
          {"pid", pid},
          {"tid", tid},
          {"ts", t.startMs * 1e3},
          {"dur", (t.endMs - t.startMs) * 1e3},
          {"args", std::move(args)}};
}
/// Names the processes and each device's compute and DP threads.
void appendMetadata(json &events, const Problem &problem) {
  events.push_back(metadata("process_name", kComputePid, -1, "compute"));
  events.push_back(metadata("process_name", kLinkPid, -1, "links"));
  events.push_back(metadata("process_name", kCollectivePid, -1, "DP"));
  for (int d = 0, e = problem.numDevices(); d < e; ++d) {
    events.push_back(
        metadata("thread_name", kComputePid, d, "device " + std::to_string(d)));
    events.push_back(metadata("thread_name", kCollectivePid, d,
                              "device " + std::to_string(d) + " DP"));
  }
}

/// One event per compute block, on its device's thread.
void appendBlocks(json &events, const Schedule &schedule,
                  const SimResult &result) {
  for (size_t d = 0; d < schedule.order.size(); ++d)
    for (size_t i = 0; i < schedule.order[d].size(); ++i) {
      const Block &b = schedule.order[d][i];
      std::string name = std::string(blockKindName(b.kind)) +
                         std::to_string(b.chunk) + "." + std::to_string(b.mb);
      events.push_back(complete(name, kComputePid, int(d), result.times[d][i],
                                {{"op", blockKindName(b.kind)},
                                 {"chunk", b.chunk},
                                 {"mb", b.mb},
                                 {"device", int(d)}}));
    }
}

/// One event per message's bandwidth window, on a thread per link numbered
/// in order of first use.
void appendTransfers(json &events, const Problem &problem,
                     const SimResult &result) {
  std::map<LinkId, int> linkTids;
  for (const TransferEvent &t : result.transfers) {
    auto [it, inserted] = linkTids.insert({t.link, int(linkTids.size())});
    std::string link = problem.linkName(t.link);
    if (inserted)
      events.push_back(metadata("thread_name", kLinkPid, it->second, link));
    const char *kind = t.gradient ? "grad" : "act";
    int chunk = t.boundary();
    events.push_back(complete(std::string(kind) + std::to_string(chunk) + "." +
                                  std::to_string(t.mb),
                              kLinkPid, it->second, t.occupancy,
                              {{"op", "xfer"},
                               {"kind", kind},
                               {"chunk", chunk},
                               {"mb", t.mb},
                               {"src", t.srcDevice},
                               {"dst", t.dstDevice},
                               {"link", link}}));
  }
}

/// One event per DP collective, on its device's DP thread.
void appendCollectives(json &events, const Problem &problem,
                       const SimResult &result) {
  for (const CollectiveEvent &c : result.collectives) {
    const char *op = c.kind == CollectiveKind::AllGather       ? "allgather"
                     : c.kind == CollectiveKind::ReduceScatter ? "reducescatter"
                                                               : "allreduce";
    std::string name = op + std::to_string(c.chunk);
    json args = {{"op", op}, {"chunk", c.chunk}, {"device", c.device}};
    if (problem.dpBuckets > 1 && c.kind != CollectiveKind::AllGather) {
      name += ".b" + std::to_string(c.bucket);
      args["bucket"] = c.bucket;
    }
    events.push_back(complete(name, kCollectivePid, c.device, c.time, args));
  }
}

} // namespace

std::string crosspipe::sched::writeChromeTrace(const Problem &problem,
                                               const Schedule &schedule,
                                               const SimResult &result,
                                               const TraceSummary &summary) {
  json events = json::array();
  appendMetadata(events, problem);
  appendBlocks(events, schedule, result);
  appendTransfers(events, problem, result);
  appendCollectives(events, problem, result);

  json other = {{"algorithm", summary.algorithm},
                {"makespan_ms", summary.makespanMs},
                {"lower_bound_ms", summary.lowerBoundMs},
                {"problem", problem.name}};
  if (summary.optimal)
    other["optimal"] = *summary.optimal;
  if (summary.gap)
    other["gap"] = *summary.gap;

  // One event per line keeps large traces diffable and greppable. Names
  // from IR that are not valid UTF-8 get U+FFFD instead of an exception;
  // nlohmann escapes everything else that JSON needs escaped.
  auto dump = [](const json &value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  std::string out =
      "{\n\"displayTimeUnit\": \"ms\",\n\"otherData\": " + dump(other) +
      ",\n\"traceEvents\": [\n";
  for (size_t i = 0; i < events.size(); ++i)
    out += dump(events[i]) + (i + 1 < events.size() ? ",\n" : "\n");
  out += "]\n}\n";
  return out;
}
