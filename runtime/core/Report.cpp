//===- Report.cpp - Measured and modelled steps as traces, CSV and JSON ---===//
//
// The Chrome trace keeps the layout of the simulator's traces
// (lib/Format/ChromeTrace.cpp) and of the CUDA runtime's (runtime/
// Trace.cpp), so crosspipe-trace-svg and Perfetto show a measured step and
// its prediction side by side: process 0 has a thread per device with a
// complete event per compute block (args op, chunk, mb, device), process 1
// a thread per link with an event per message's bandwidth window (args op
// "xfer", kind, chunk, mb, src, dst, link), process 2 the DP collectives
// (args op, chunk, device, bucket); otherData carries algorithm,
// makespan_ms, lower_bound_ms and how the step was run. Times are
// microseconds. The profile is CSV, one row per action per measured step
// (its header comment documents the columns); the summary one JSON object.
// Written by hand: the runtime has no JSON library.
//
//===----------------------------------------------------------------------===//

#include "Report.h"

#include <charconv>
#include <cmath>
#include <cstdio>

using namespace crosspipe::rt;

std::string crosspipe::rt::jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\u%04x", c);
      out += hex;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string crosspipe::rt::jsonNumber(double value) {
  if (!std::isfinite(value))
    return "null";
  // The shortest text that reads back to the same double.
  char buffer[32];
  auto r = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, r.ptr);
}

namespace {

std::string str(int64_t v) { return std::to_string(v); }

class TraceWriter {
public:
  explicit TraceWriter(FILE *out) : out(out) {}
  void metadata(const char *what, int pid, int tid, const std::string &name) {
    std::string event = "{\"name\": \"" + std::string(what) +
                        "\", \"ph\": \"M\", \"pid\": " + str(pid);
    if (tid >= 0)
      event += ", \"tid\": " + str(tid);
    emit(event + ", \"args\": {\"name\": " + jsonString(name) + "}}");
  }
  void complete(const std::string &name, int pid, int tid, double startMs,
                double endMs, const std::string &args) {
    emit("{\"name\": " + jsonString(name) +
         ", \"ph\": \"X\", \"pid\": " + str(pid) + ", \"tid\": " + str(tid) +
         ", \"ts\": " + jsonNumber(startMs * 1e3) + ", \"dur\": " +
         jsonNumber((endMs - startMs) * 1e3) + ", \"args\": {" + args + "}}");
  }

private:
  void emit(const std::string &event) {
    std::fprintf(out, "%s%s", first ? "" : ",\n", event.c_str());
    first = false;
  }
  FILE *out;
  bool first = true;
};

const char *collectiveName(int op) {
  return op == CROSSPIPE_OP_ALLREDUCE        ? "allreduce"
         : op == CROSSPIPE_OP_REDUCE_SCATTER ? "reducescatter"
                                             : "allgather";
}

void writeEvents(TraceWriter &w, const PlanIndex &index,
                 const std::vector<std::vector<double>> &start,
                 const std::vector<std::vector<double>> &end) {
  const crosspipe_plan &p = index.plan();
  for (int d = 0; d < p.devices; ++d) {
    const crosspipe_program &prog = p.programs[d];
    for (int i = 0; i < prog.count; ++i) {
      const crosspipe_action &a = prog.actions[i];
      double s = start[d][i], e = end[d][i];
      if (std::isnan(s) || std::isnan(e))
        continue;
      if (isCompute(a.op)) {
        std::string args = "\"op\": \"" + std::string(opName(a.op)) +
                           "\", \"chunk\": " + str(a.chunk) +
                           ", \"mb\": " + str(a.mb) + ", \"device\": " + str(d);
        if (a.parts > 1)
          args += ", \"part\": " + str(a.part) + ", \"parts\": " + str(a.parts);
        w.complete(opName(a.op) + str(a.chunk) + "." + str(a.mb), 0, d, s, e,
                   args);
      } else if (isSend(a.op)) {
        const ActionInfo &info = index.info(d, i);
        const char *kind = a.op == CROSSPIPE_OP_SEND_ACT ? "act" : "grad";
        w.complete(kind + str(a.chunk) + "." + str(a.mb), 1, info.link, s, e,
                   "\"op\": \"xfer\", \"kind\": \"" + std::string(kind) +
                       "\", \"chunk\": " + str(a.chunk) +
                       ", \"mb\": " + str(a.mb) + ", \"src\": " + str(d) +
                       ", \"dst\": " + str(info.peer) +
                       ", \"link\": " + jsonString(p.links[info.link].name));
      } else if (isCollective(a.op)) {
        int buckets = a.slot > 0 ? a.slot : 1;
        std::string name = collectiveName(a.op) + str(a.chunk);
        std::string args = "\"op\": \"" + std::string(collectiveName(a.op)) +
                           "\", \"chunk\": " + str(a.chunk) +
                           ", \"device\": " + str(d);
        if (buckets > 1) {
          name += ".b" + str(a.mb);
          args += ", \"bucket\": " + str(a.mb);
        }
        w.complete(name, 2, d, s, e, args);
      }
    }
  }
}

} // namespace

bool crosspipe::rt::writeTrace(const char *path, const TraceInfo &info,
                               const PlanIndex &index,
                               const std::vector<std::vector<double>> &start,
                               const std::vector<std::vector<double>> &end,
                               std::string &error) {
  FILE *out = std::fopen(path, "w");
  if (!out) {
    error = std::string("cannot write the trace to ") + path;
    return false;
  }
  const crosspipe_plan &p = index.plan();
  std::fprintf(
      out,
      "{\n\"displayTimeUnit\": \"ms\",\n\"otherData\": "
      "{\"algorithm\": %s, \"makespan_ms\": %s, \"lower_bound_ms\": "
      "%s, \"problem\": %s, \"plan\": %s, \"measured\": %s, "
      "\"backend\": %s, \"arrangement\": %s, \"time_scale\": %s, "
      "\"predicted_makespan_ms\": %s, \"step\": %d},\n"
      "\"traceEvents\": [\n",
      jsonString(p.algorithm).c_str(), jsonNumber(info.makespanMs).c_str(),
      jsonNumber(p.lower_bound_ms * info.timeScale).c_str(),
      jsonString(p.name).c_str(), jsonString(p.name).c_str(),
      info.measured ? "true" : "false", jsonString(info.backend).c_str(),
      jsonString(info.arrangement).c_str(), jsonNumber(info.timeScale).c_str(),
      jsonNumber(index.simulatedMs() * info.timeScale).c_str(), info.step);
  TraceWriter w(out);
  w.metadata("process_name", 0, -1, "compute");
  w.metadata("process_name", 1, -1, "links");
  w.metadata("process_name", 2, -1, "DP");
  for (int d = 0; d < p.devices; ++d) {
    w.metadata("thread_name", 0, d, "device " + str(d));
    w.metadata("thread_name", 2, d, "device " + str(d) + " DP");
  }
  for (int l = 0; l < p.num_links; ++l)
    w.metadata("thread_name", 1, l, p.links[l].name);
  writeEvents(w, index, start, end);
  std::fprintf(out, "\n]\n}\n");
  if (std::ferror(out) | (std::fclose(out) != 0)) {
    error = std::string("cannot write the trace to ") + path;
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Profile
//===----------------------------------------------------------------------===//

bool crosspipe::rt::writeProfileHeader(FILE *out, const PlanIndex &index,
                                       double timeScale) {
  const crosspipe_plan &p = index.plan();
  std::fprintf(
      out,
      "# crosspipe measured profile (crosspipe-host-run --profile): one row "
      "per action of every measured step, waits left out.\n"
      "#   step      the step, counting from 1 (warm-up steps included)\n"
      "#   device    the device that ran the action\n"
      "#   op        F, B, D, W, SEND_ACT, SEND_GRAD, RECV_ACT, RECV_GRAD, "
      "ALLREDUCE, REDUCE_SCATTER, ALL_GATHER (as in plan files)\n"
      "#   chunk     the chunk; for messages the boundary (its lower chunk)\n"
      "#   mb        the microbatch; for collectives the bucket\n"
      "#   part      the sub-block (0 if the block is not cut)\n"
      "#   parts     the sub-block count (1 if not cut); for collectives the "
      "bucket count\n"
      "#   start_ms  measured start, ms from the step's origin\n"
      "#   end_ms    measured end (sends: the bandwidth window; receives: "
      "posted until arrived)\n"
      "#   model_ms  the modelled duration at the same time scale (sends: "
      "bandwidth window; receives: latency)\n"
      "# Divide times by time_scale for the model's milliseconds.\n"
      "# plan %s algorithm %s time_scale %s\n"
      "step,device,op,chunk,mb,part,parts,start_ms,end_ms,model_ms\n",
      p.name, p.algorithm, jsonNumber(timeScale).c_str());
  return !std::ferror(out);
}

bool crosspipe::rt::writeProfileRows(FILE *out, int step,
                                     const PlanIndex &index,
                                     const StepTimes &times, double timeScale) {
  const crosspipe_plan &p = index.plan();
  for (int d = 0; d < p.devices; ++d) {
    const crosspipe_program &prog = p.programs[d];
    for (int i = 0; i < prog.count; ++i) {
      const crosspipe_action &a = prog.actions[i];
      if (a.op == CROSSPIPE_OP_WAIT || std::isnan(times.start[d][i]))
        continue;
      const ActionInfo &info = index.info(d, i);
      bool collective = isCollective(a.op);
      int parts =
          collective ? (a.slot > 0 ? a.slot : 1) : (a.parts > 0 ? a.parts : 1);
      double model = isRecv(a.op) ? info.latencyMs : info.modelMs;
      std::fprintf(out, "%d,%d,%s,%d,%d,%d,%d,%.6f,%.6f,%.6f\n", step, d,
                   opName(a.op), a.chunk, a.mb, a.part, parts,
                   times.start[d][i], times.end[d][i], model * timeScale);
    }
  }
  return !std::ferror(out);
}
