//===- Trace.cpp - Measured timelines as Chrome traces --------------------===//
//
// The same layout as the simulator's traces (lib/Format/ChromeTrace.cpp),
// so a measured run and its prediction open side by side in Perfetto:
// process 0 holds one thread per device with a complete event per block
// (args op, chunk, mb, device), process 1 one thread per link with an event
// per transfer (args op "xfer", kind, chunk, mb, src, dst, link), process 2
// the DP all-reduces (args op "allreduce", chunk, device); otherData carries
// algorithm, makespan_ms and lower_bound_ms. Times are microseconds. Written
// by hand: the runtime must build with CUDA and NCCL alone.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <cstdio>
#include <string>

using namespace crosspipe::rt;

namespace {
std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

class TraceWriter {
public:
  explicit TraceWriter(FILE *out) : out(out) {}
  void metadata(const char *what, int pid, int tid, const std::string &name) {
    std::string event = "{\"name\": \"" + std::string(what) +
                        "\", \"ph\": \"M\", \"pid\": " + std::to_string(pid);
    if (tid >= 0)
      event += ", \"tid\": " + std::to_string(tid);
    emit(event + ", \"args\": {\"name\": " + quoted(name) + "}}");
  }
  void complete(const std::string &name, int pid, int tid, double startMs,
                double endMs, const std::string &args) {
    emit("{\"name\": " + quoted(name) + ", \"ph\": \"X\", \"pid\": " +
         std::to_string(pid) + ", \"tid\": " + std::to_string(tid) +
         ", \"ts\": " + number(startMs * 1e3) +
         ", \"dur\": " + number((endMs - startMs) * 1e3) + ", \"args\": {" +
         args + "}}");
  }

private:
  void emit(const std::string &event) {
    std::fprintf(out, "%s%s", first ? "" : ",\n", event.c_str());
    first = false;
  }
  FILE *out;
  bool first = true;
};
} // namespace

void crosspipe::rt::writeTrace(const crosspipe_runtime *rt, const char *path,
                               const std::vector<double> &times,
                               double makespanMs, bool measured) {
  FILE *out = std::fopen(path, "w");
  if (!out)
    fail(rt, std::string("cannot write the trace to ") + path);
  const crosspipe_plan_desc &desc = rt->desc;
  std::fprintf(out,
               "{\n\"displayTimeUnit\": \"ms\",\n\"otherData\": "
               "{\"algorithm\": %s, \"makespan_ms\": %s, \"lower_bound_ms\": "
               "%s, \"problem\": %s, \"plan\": %s, \"measured\": %s, "
               "\"backend\": \"%s\", \"time_scale\": %s, "
               "\"predicted_makespan_ms\": %s},\n\"traceEvents\": [\n",
               quoted(desc.algorithm).c_str(), number(makespanMs).c_str(),
               number(desc.lowerBoundMs * rt->scale).c_str(),
               quoted(desc.name).c_str(), quoted(desc.name).c_str(),
               measured ? "true" : "false", rt->emulate ? "emulate" : "nccl",
               number(rt->scale).c_str(),
               number(desc.makespanMs * rt->scale).c_str());
  TraceWriter w(out);
  w.metadata("process_name", 0, -1, "compute");
  w.metadata("process_name", 1, -1, "links");
  w.metadata("process_name", 2, -1, "DP");
  for (int d = 0; d < desc.devices; ++d) {
    w.metadata("thread_name", 0, d, "device " + std::to_string(d));
    w.metadata("thread_name", 2, d, "device " + std::to_string(d) + " DP");
  }
  for (size_t l = 0; l < desc.links.size(); ++l)
    w.metadata("thread_name", 1, int(l), desc.links[l]);

  size_t at = 0;
  for (const crosspipe_plan_desc::Record &b : desc.blocks) {
    std::string kind(1, b.kind);
    w.complete(kind + std::to_string(b.chunk) + "." + std::to_string(b.mb), 0,
               b.device, times[at], times[at + 1],
               "\"op\": \"" + kind + "\", \"chunk\": " +
                   std::to_string(b.chunk) + ", \"mb\": " +
                   std::to_string(b.mb) + ", \"device\": " +
                   std::to_string(b.device));
    at += 2;
  }
  for (const crosspipe_plan_desc::Record &t : desc.transfers) {
    std::string kind = t.role == CROSSPIPE_ACT ? "act" : "grad";
    const std::string &link = desc.links.at(t.link);
    w.complete(kind + std::to_string(t.chunk) + "." + std::to_string(t.mb), 1,
               t.link, times[at], times[at + 1],
               "\"op\": \"xfer\", \"kind\": \"" + kind +
                   "\", \"chunk\": " + std::to_string(t.chunk) +
                   ", \"mb\": " + std::to_string(t.mb) +
                   ", \"src\": " + std::to_string(t.src) +
                   ", \"dst\": " + std::to_string(t.dst) +
                   ", \"link\": " + quoted(link));
    at += 2;
  }
  for (const crosspipe_plan_desc::Record &r : desc.reduces) {
    w.complete("allreduce" + std::to_string(r.chunk), 2, r.device, times[at],
               times[at + 1],
               "\"op\": \"allreduce\", \"chunk\": " +
                   std::to_string(r.chunk) +
                   ", \"device\": " + std::to_string(r.device));
    at += 2;
  }
  std::fprintf(out, "\n]\n}\n");
  if (std::fclose(out) != 0)
    fail(rt, std::string("cannot write the trace to ") + path);
}

void crosspipe::rt::writeSummary(const crosspipe_runtime *rt,
                                 const char *path) {
  FILE *out = std::fopen(path, "w");
  if (!out)
    fail(rt, std::string("cannot write the summary to ") + path);
  const crosspipe_plan_desc &desc = rt->desc;
  double mean = 0;
  for (double m : rt->makespans)
    mean += m;
  mean = rt->makespans.empty() ? 0 : mean / rt->makespans.size();
  double predicted = desc.makespanMs * rt->scale;
  std::string steps;
  for (size_t i = 0; i < rt->makespans.size(); ++i)
    steps += (i ? ", " : "") + std::string("{\"makespan_ms\": ") +
             number(rt->makespans[i]) +
             ", \"issue_ms\": " + number(rt->issueMs[i]) + "}";
  std::fprintf(out,
               "{\"plan\": %s, \"algorithm\": %s, \"backend\": \"%s\", "
               "\"devices\": %d, \"microbatches\": %d, \"time_scale\": %s, "
               "\"predicted_makespan_ms\": %s, \"lower_bound_ms\": %s, "
               "\"measured_makespan_ms\": %s, \"measured_over_predicted\": "
               "%s, \"blocks_per_step\": %d, \"issue_us_per_block\": %s, "
               "\"tags_checked\": true, \"steps\": [%s]}\n",
               quoted(desc.name).c_str(), quoted(desc.algorithm).c_str(),
               rt->emulate ? "emulate" : "nccl", desc.devices,
               desc.microbatches, number(rt->scale).c_str(),
               number(predicted).c_str(),
               number(desc.lowerBoundMs * rt->scale).c_str(),
               number(mean).c_str(),
               number(predicted > 0 ? mean / predicted : 0).c_str(),
               rt->ownedBlocks, number(rt->issueUsPerBlock()).c_str(),
               steps.c_str());
  if (std::fclose(out) != 0)
    fail(rt, std::string("cannot write the summary to ") + path);
}
