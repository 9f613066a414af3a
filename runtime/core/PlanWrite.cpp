//===- PlanWrite.cpp - crosspipe_plan_write: a plan as a plan file --------===//
//
// The plan file is line-oriented text that a person can read and diff:
//
//   crosspipe-plan 1
//   # comment lines (a legend of the fields)
//   plan NAME ALGORITHM ARRANGEMENT DEVICES CHUNKS MICROBATCHES DP_DEGREE
//        MAKESPAN_MS LOWER_BOUND_MS                          (one line)
//   chunk I DEVICE FORWARD_MS BACKWARD_MS DGRAD_MS WGRAD_MS ALLREDUCE_MS
//   link I NAME
//   buffer I DEVICE ROLE CHUNK SLOTS BYTES NAME
//   channel I SRC DST ROLE LINK LATENCY_MS GBPS
//   program DEVICE COUNT        followed by COUNT action lines:
//   OP CHUNK MB SLOT OUT STASH PART PARTS   (trailing zero fields omitted)
//   end CHUNKS LINKS BUFFERS CHANNELS DEVICES ACTIONS CHECKSUM
//
// Tables come in that order with their indices counting from 0; ROLE is
// stash, act, grad or param_grad, ARRANGEMENT nccl or emulate, OP the
// enum's name without its prefix (F, SEND_ACT, WAIT, ...). Numbers are
// decimal; times print in the shortest form that reads back to the same
// double. CHECKSUM is FNV-1a 64 of every byte before the end line, as 16
// hex digits, so a truncated or altered file is refused. The writer checks
// the plan first and writes nothing for a plan crosspipe_plan_check
// refuses.
//
//===----------------------------------------------------------------------===//

#include "PlanInternal.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

using namespace crosspipe::rt;

namespace {

/// Buffers the text, hashes it, and writes it out in large pieces.
class PlanPrinter {
public:
  explicit PlanPrinter(FILE *out) : out(out) { text.reserve(kFlushAt + 256); }

  PlanPrinter &word(std::string_view w) {
    if (!lineStart)
      text += ' ';
    text += w;
    lineStart = false;
    return *this;
  }
  PlanPrinter &integer(int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return word(std::string_view(buf, r.ptr - buf));
  }
  PlanPrinter &unsignedInteger(uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return word(std::string_view(buf, r.ptr - buf));
  }
  PlanPrinter &real(double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return word(std::string_view(buf, r.ptr - buf));
  }
  void endLine() {
    text += '\n';
    lineStart = true;
    if (text.size() >= kFlushAt)
      flush();
  }
  /// Writes the end line after everything so far, which it hashes.
  bool finish(const std::string &counts) {
    flush();
    char sum[24];
    std::snprintf(sum, sizeof(sum), "%016" PRIx64, hash);
    std::string last = "end " + counts + " " + sum + "\n";
    if (ok && std::fwrite(last.data(), 1, last.size(), out) != last.size())
      ok = false;
    return ok && std::fflush(out) == 0 && !std::ferror(out);
  }

private:
  void flush() {
    hash = fnv1a(text, hash);
    if (ok && std::fwrite(text.data(), 1, text.size(), out) != text.size())
      ok = false;
    text.clear();
  }

  static constexpr size_t kFlushAt = 1 << 20;
  FILE *out;
  std::string text;
  uint64_t hash = 0xcbf29ce484222325ull;
  bool lineStart = true, ok = true;
};

void printTables(const crosspipe_plan &p, PlanPrinter &w) {
  w.word("plan")
      .word(p.name)
      .word(p.algorithm)
      .word(arrangementName(p.arrangement))
      .integer(p.devices)
      .integer(p.chunks)
      .integer(p.microbatches)
      .integer(p.dp_degree)
      .real(p.makespan_ms)
      .real(p.lower_bound_ms);
  w.endLine();
  for (int c = 0; c < p.chunks; ++c) {
    const crosspipe_chunk &k = p.chunk_table[c];
    w.word("chunk")
        .integer(c)
        .integer(k.device)
        .real(k.forward_ms)
        .real(k.backward_ms)
        .real(k.dgrad_ms)
        .real(k.wgrad_ms)
        .real(k.allreduce_ms);
    w.endLine();
  }
  for (int l = 0; l < p.num_links; ++l) {
    w.word("link").integer(l).word(p.links[l].name);
    w.endLine();
  }
  for (int b = 0; b < p.num_buffers; ++b) {
    const crosspipe_buffer &buf = p.buffers[b];
    w.word("buffer")
        .integer(b)
        .integer(buf.device)
        .word(roleName(buf.role))
        .integer(buf.chunk)
        .integer(buf.slots)
        .unsignedInteger(buf.bytes)
        .word(buf.name);
    w.endLine();
  }
  for (int c = 0; c < p.num_channels; ++c) {
    const crosspipe_channel &ch = p.channels[c];
    w.word("channel")
        .integer(c)
        .integer(ch.src)
        .integer(ch.dst)
        .word(roleName(ch.role))
        .integer(ch.link)
        .real(ch.latency_ms)
        .real(ch.gbps);
    w.endLine();
  }
}

void printAction(const crosspipe_action &a, PlanPrinter &w) {
  const int32_t fields[] = {a.chunk, a.mb,   a.slot, a.out,
                            a.stash, a.part, a.parts};
  int last = 6;
  while (last >= 0 && fields[last] == 0)
    --last;
  w.word(opName(a.op));
  for (int i = 0; i <= last; ++i)
    w.integer(fields[i]);
  w.endLine();
}

const char *const kLegend[] = {
    "# CrossPipe execution plan; the fields are those of "
    "include/crosspipe/Runtime/Plan.h:",
    "# plan NAME ALGORITHM ARRANGEMENT DEVICES CHUNKS MICROBATCHES DP_DEGREE "
    "MAKESPAN_MS LOWER_BOUND_MS",
    "# chunk I DEVICE FORWARD_MS BACKWARD_MS DGRAD_MS WGRAD_MS ALLREDUCE_MS",
    "# link I NAME",
    "# buffer I DEVICE ROLE CHUNK SLOTS BYTES NAME",
    "# channel I SRC DST ROLE LINK LATENCY_MS GBPS",
    "# program DEVICE COUNT, then COUNT actions: OP CHUNK MB SLOT OUT STASH "
    "PART PARTS (trailing zeros omitted)",
    "# end CHUNKS LINKS BUFFERS CHANNELS DEVICES ACTIONS FNV1A64-OF-ALL-"
    "PRECEDING-BYTES"};

} // namespace

extern "C" int crosspipe_plan_write(const crosspipe_plan *plan, FILE *out) {
  if (!out)
    return -1;
  try {
    PlanFault fault;
    if (!checkPlan(plan, CheckLevel::Full, fault))
      return -1;
    const crosspipe_plan &p = *plan;
    PlanPrinter w(out);
    w.word("crosspipe-plan").integer(CROSSPIPE_PLAN_VERSION);
    w.endLine();
    for (const char *line : kLegend) {
      w.word(line);
      w.endLine();
    }
    printTables(p, w);
    int64_t actions = 0;
    for (int d = 0; d < p.devices; ++d) {
      const crosspipe_program &prog = p.programs[d];
      w.word("program").integer(d).integer(prog.count);
      w.endLine();
      for (int i = 0; i < prog.count; ++i)
        printAction(prog.actions[i], w);
      actions += prog.count;
    }
    std::string counts =
        std::to_string(p.chunks) + " " + std::to_string(p.num_links) + " " +
        std::to_string(p.num_buffers) + " " + std::to_string(p.num_channels) +
        " " + std::to_string(p.devices) + " " + std::to_string(actions);
    return w.finish(counts) ? 0 : -1;
  } catch (...) {
    return -1;
  }
}
