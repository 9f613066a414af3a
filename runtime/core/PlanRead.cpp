//===- PlanRead.cpp - crosspipe_plan_read: a plan file back into a plan ---===//
//
// Reads the format PlanWrite.cpp describes, line by line, and refuses with
// one line "FILE:LINE: error: WHAT" anything it cannot run: another
// version, a file that ends before its end line (truncated) or whose
// checksum or counts disagree (corrupted), a malformed or out-of-range
// number (integers are range-checked before they are stored, times must be
// finite decimals), a table entry out of order, more entries than the limits
// of Plan.h, and every fault crosspipe_plan_check finds, at the line of the
// entry or action it names. Nothing is allocated ahead of what the file
// actually holds, so a short hostile file cannot ask for gigabytes; the
// reader is linear in the file's size and never recurses. The lines and
// fields are PlanLines.cpp's; the sections, tables and counts are here.
//
//===----------------------------------------------------------------------===//

#include "PlanInternal.h"
#include "PlanLines.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

using namespace crosspipe::rt;

namespace {

/// Reads a plan file; `error` holds the first problem.
class PlanReader : PlanLines {
public:
  PlanReader(std::string_view data, const char *source)
      : PlanLines(data, source) {}

  OwnedPlan *read(CheckLevel level, std::string &error) {
    std::unique_ptr<OwnedPlan> owned(new OwnedPlan());
    plan = owned.get();
    if (!parse()) {
      error = message;
      return nullptr;
    }
    plan->link();
    PlanFault fault;
    if (!checkPlan(plan, level, fault)) {
      error = std::string(source) + ":" + std::to_string(lineOf(fault)) +
              ": error: " + formatFault(fault);
      return nullptr;
    }
    return owned.release();
  }

private:
  //===--- Table entries --------------------------------------------------===//

  /// The index field of a table line: the entry's position in its table.
  bool index(const char *kind, size_t expected, int64_t max) {
    int64_t i;
    if (!integer(1, (std::string(kind) + " index").c_str(), 0, max - 1, i))
      return false;
    if (size_t(i) != expected)
      return fail(std::string(kind) + " " + std::to_string(i) +
                  " is out of order: " + kind + " " + std::to_string(expected) +
                  " comes next");
    return true;
  }


  //===--- Sections -------------------------------------------------------===//

  enum class Section { Plan, Chunks, Links, Buffers, Channels, Programs };

  bool parse() {
    // The writer ends every file with a newline: without one, the last line
    // may be cut anywhere, even inside a number that still parses.
    if (!data.empty() && data.back() != '\n') {
      line = 1;
      for (char c : data)
        line += c == '\n';
      return fail("truncated: the file does not end with a newline (its "
                  "last line is cut off)");
    }
    if (!nextLine())
      return fail("empty file: expected 'crosspipe-plan " +
                  std::to_string(CROSSPIPE_PLAN_VERSION) + "'");
    if (line != 1 || tokens[0] != "crosspipe-plan" || tokens.size() != 2)
      return fail("not a plan file: the first line must be 'crosspipe-plan " +
                  std::to_string(CROSSPIPE_PLAN_VERSION) + "'");
    if (tokens[1] != std::to_string(CROSSPIPE_PLAN_VERSION))
      return fail("plan file version " + quote(tokens[1]) +
                  "; this runtime reads version " +
                  std::to_string(CROSSPIPE_PLAN_VERSION));
    while (nextLine()) {
      std::string_view kind = tokens[0];
      if (kind == "end")
        return endLine();
      bool ok = kind == "plan"      ? planLine()
                : kind == "chunk"   ? chunkLine()
                : kind == "link"    ? linkLine()
                : kind == "buffer"  ? bufferLine()
                : kind == "channel" ? channelLine()
                : kind == "program" ? programLine()
                                    : actionLine();
      if (!ok)
        return false;
    }
    return fail("truncated: the file ends " + where() +
                " without its end line");
  }

  /// Where the reader stands, for a truncated file.
  std::string where() const {
    if (!seenPlan)
      return "before its plan line";
    if (section != Section::Programs)
      return "in its tables";
    const crosspipe_program &p = plan->programTable.back();
    return "in program " + std::to_string(p.device) + " after " +
           std::to_string(plan->actionTables.back().size()) + " of " +
           std::to_string(p.count) + " actions";
  }

  /// Moves to `next` (sections only go forward) after checking that the
  /// one being left is complete.
  bool enter(Section next, const char *kind) {
    if (!seenPlan)
      return fail(std::string(kind) + " line before the plan line");
    if (next < section)
      return fail(std::string(kind) + " line after the " +
                  sectionName(section) +
                  "; tables come in the order chunk, "
                  "link, buffer, channel, then programs");
    if (section == Section::Chunks || section == Section::Plan) {
      if (next != Section::Chunks &&
          plan->chunkTable.size() != size_t(plan->chunks))
        return fail("chunk " + std::to_string(plan->chunkTable.size()) +
                    " is missing: the plan has " +
                    std::to_string(plan->chunks) + " chunks");
    }
    section = next;
    return true;
  }
  static const char *sectionName(Section s) {
    switch (s) {
    case Section::Plan:
      return "plan line";
    case Section::Chunks:
      return "chunk lines";
    case Section::Links:
      return "link lines";
    case Section::Buffers:
      return "buffer lines";
    case Section::Channels:
      return "channel lines";
    case Section::Programs:
      return "programs";
    }
    return "?";
  }

  bool planLine() {
    if (seenPlan)
      return fail("a second plan line");
    if (!expectFields("plan", 10,
                      "plan NAME ALGORITHM ARRANGEMENT DEVICES CHUNKS "
                      "MICROBATCHES DP_DEGREE MAKESPAN_MS LOWER_BOUND_MS"))
      return false;
    OwnedPlan &p = *plan;
    int arrangement = arrangementFromName(tokens[3]);
    if (arrangement < 0)
      return fail("arrangement: expected nccl or emulate, got " +
                  quote(tokens[3]));
    p.arrangement = arrangement;
    if (!name(1, "name", false, p.nameText) ||
        !name(2, "algorithm", false, p.algorithmText) ||
        !int32(4, "devices", 1, CROSSPIPE_PLAN_MAX_DEVICES, p.devices) ||
        !int32(5, "chunks", 1, CROSSPIPE_PLAN_MAX_CHUNKS, p.chunks) ||
        !int32(6, "microbatches", 1, CROSSPIPE_PLAN_MAX_MICROBATCHES,
               p.microbatches) ||
        !int32(7, "dp_degree", 1, CROSSPIPE_PLAN_MAX_DP_DEGREE, p.dp_degree) ||
        !real(8, "makespan_ms", 0, CROSSPIPE_PLAN_MAX_MS, p.makespan_ms) ||
        !real(9, "lower_bound_ms", 0, CROSSPIPE_PLAN_MAX_MS, p.lower_bound_ms))
      return false;
    seenPlan = true;
    planLineNo = line;
    section = Section::Chunks;
    return true;
  }

  bool chunkLine() {
    if (!enter(Section::Chunks, "chunk") ||
        !expectFields("chunk", 8,
                      "chunk I DEVICE FORWARD_MS BACKWARD_MS DGRAD_MS "
                      "WGRAD_MS ALLREDUCE_MS") ||
        !index("chunk", plan->chunkTable.size(), plan->chunks))
      return false;
    crosspipe_chunk k{};
    const double max = CROSSPIPE_PLAN_MAX_MS;
    if (!int32(2, "device", 0, plan->devices - 1, k.device) ||
        !real(3, "forward_ms", 0, max, k.forward_ms) ||
        !real(4, "backward_ms", 0, max, k.backward_ms) ||
        !real(5, "dgrad_ms", 0, max, k.dgrad_ms) ||
        !real(6, "wgrad_ms", 0, max, k.wgrad_ms) ||
        !real(7, "allreduce_ms", 0, max, k.allreduce_ms))
      return false;
    plan->chunkTable.push_back(k);
    chunkLines.push_back(line);
    return true;
  }

  bool linkLine() {
    if (!enter(Section::Links, "link") ||
        !expectFields("link", 3, "link I NAME") ||
        !index("link", plan->linkTable.size(), CROSSPIPE_PLAN_MAX_TABLE))
      return false;
    std::string text;
    if (!name(2, "name", true, text))
      return false;
    plan->linkNames.push_back(std::move(text));
    plan->linkTable.push_back({nullptr});
    linkLines.push_back(line);
    return true;
  }

  bool bufferLine() {
    if (!enter(Section::Buffers, "buffer") ||
        !expectFields("buffer", 8,
                      "buffer I DEVICE ROLE CHUNK SLOTS BYTES NAME") ||
        !index("buffer", plan->bufferTable.size(), CROSSPIPE_PLAN_MAX_TABLE))
      return false;
    crosspipe_buffer b{};
    b.role = roleFromName(tokens[3]);
    if (b.role < 0)
      return fail("role: expected stash, act, grad or param_grad, got " +
                  quote(tokens[3]));
    std::string text;
    if (!int32(2, "device", 0, plan->devices - 1, b.device) ||
        !int32(4, "chunk", 0, plan->chunks - 1, b.chunk) ||
        !int32(5, "slots", 1, CROSSPIPE_PLAN_MAX_SLOTS, b.slots) ||
        !bytes(6, "bytes", b.bytes) || !name(7, "name", false, text))
      return false;
    totalSlots += b.slots;
    if (totalSlots > CROSSPIPE_PLAN_MAX_TOTAL_SLOTS)
      return fail("slots: the buffers hold more than 2^24 slots in all");
    plan->bufferNames.push_back(std::move(text));
    plan->bufferTable.push_back(b);
    bufferLines.push_back(line);
    return true;
  }

  bool channelLine() {
    if (!enter(Section::Channels, "channel") ||
        !expectFields("channel", 8,
                      "channel I SRC DST ROLE LINK LATENCY_MS GBPS") ||
        !index("channel", plan->channelTable.size(), CROSSPIPE_PLAN_MAX_TABLE))
      return false;
    crosspipe_channel c{};
    c.role = roleFromName(tokens[4]);
    if (c.role != CROSSPIPE_ACT && c.role != CROSSPIPE_GRAD)
      return fail("role: expected act or grad, got " + quote(tokens[4]));
    if (!int32(2, "src", 0, plan->devices - 1, c.src) ||
        !int32(3, "dst", 0, plan->devices - 1, c.dst) ||
        !int32(5, "link", 0, int64_t(plan->linkTable.size()) - 1, c.link) ||
        !real(6, "latency_ms", 0, CROSSPIPE_PLAN_MAX_MS, c.latency_ms) ||
        !real(7, "gbps", 0, 1e9, c.gbps))
      return false;
    plan->channelTable.push_back(c);
    channelLines.push_back(line);
    return true;
  }

  bool programLine() {
    if (!enter(Section::Programs, "program") || !programComplete() ||
        !expectFields("program", 3, "program DEVICE COUNT"))
      return false;
    size_t next = plan->programTable.size();
    int64_t device, count;
    if (!integer(1, "device", 0, plan->devices - 1, device) ||
        !integer(2, "count", 0, CROSSPIPE_PLAN_MAX_ACTIONS, count))
      return false;
    if (size_t(device) != next)
      return fail("program " + std::to_string(device) +
                  " is out of order: program " + std::to_string(next) +
                  " comes next");
    totalActions += count;
    if (totalActions > CROSSPIPE_PLAN_MAX_ACTIONS)
      return fail("count: the programs hold more than 2^26 actions in all");
    plan->programTable.push_back({int32_t(device), int32_t(count), nullptr});
    plan->actionTables.emplace_back();
    programLines.push_back(line);
    programOffsets.push_back(pos);
    return true;
  }

  /// The program being read holds all its actions.
  bool programComplete() {
    if (plan->programTable.empty())
      return true;
    size_t have = plan->actionTables.back().size();
    const crosspipe_program &p = plan->programTable.back();
    if (have == size_t(p.count))
      return true;
    return fail("program " + std::to_string(p.device) + " holds " +
                std::to_string(have) + " actions, but its program line says " +
                std::to_string(p.count));
  }

  bool actionLine() {
    int op = opFromName(tokens[0]);
    if (op < 0)
      return fail("expected a table line (plan, chunk, link, buffer, "
                  "channel, program, end) or an action (F, B, D, W, "
                  "SEND_ACT, ..., WAIT), got " +
                  quote(tokens[0]));
    if (section != Section::Programs || plan->programTable.empty())
      return fail("action before the first program line");
    std::vector<crosspipe_action> &actions = plan->actionTables.back();
    const crosspipe_program &p = plan->programTable.back();
    if (actions.size() == size_t(p.count))
      return fail("program " + std::to_string(p.device) + " has more than " +
                  std::to_string(p.count) + " actions");
    if (tooMany || tokens.size() > 8)
      return fail(std::string(tokens[0]) +
                  ": at most 7 fields follow the op (CHUNK MB SLOT OUT STASH "
                  "PART PARTS)");
    static const char *const kFields[] = {"chunk", "mb",   "slot", "out",
                                          "stash", "part", "parts"};
    int32_t values[7] = {0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 1; i < tokens.size(); ++i)
      if (!int32(i, kFields[i - 1], 0, INT32_MAX, values[i - 1]))
        return false;
    actions.push_back({op, values[0], values[1], values[2], values[3],
                       values[4], values[5], values[6]});
    return true;
  }

  bool endLine() {
    size_t endPos = lineStartPos;
    if (!seenPlan)
      return fail("end line before the plan line");
    if (!enter(Section::Programs, "end") || !programComplete())
      return false;
    if (plan->programTable.size() != size_t(plan->devices))
      return fail("program " + std::to_string(plan->programTable.size()) +
                  " is missing: the plan has " + std::to_string(plan->devices) +
                  " devices");
    if (!expectFields("end", 8,
                      "end CHUNKS LINKS BUFFERS CHANNELS DEVICES ACTIONS "
                      "CHECKSUM"))
      return false;
    const int64_t have[] = {plan->chunks,
                            int64_t(plan->linkTable.size()),
                            int64_t(plan->bufferTable.size()),
                            int64_t(plan->channelTable.size()),
                            plan->devices,
                            totalActions};
    static const char *const kCounts[] = {"chunks",   "links",   "buffers",
                                          "channels", "devices", "actions"};
    for (size_t i = 0; i < 6; ++i) {
      int64_t said;
      if (!integer(i + 1, kCounts[i], 0, INT64_MAX, said))
        return false;
      if (said != have[i])
        return fail(std::string(kCounts[i]) + ": the end line counts " +
                    std::to_string(said) + ", the file holds " +
                    std::to_string(have[i]) + " (lines lost or added)");
    }
    char sum[24];
    std::snprintf(sum, sizeof(sum), "%016" PRIx64,
                  fnv1a(data.substr(0, endPos)));
    if (tokens[7] != sum)
      return fail("checksum mismatch: the end line says " + quote(tokens[7]) +
                  ", the contents hash to " + sum +
                  " (the file was altered or corrupted)");
    for (size_t i = pos; i < data.size(); ++i)
      if (data[i] != '\n')
        return fail("text after the end line");
    return true;
  }

  //===--- Lines of check faults ------------------------------------------===//

  int64_t lineOf(const PlanFault &fault) {
    auto pick = [&](const std::vector<int64_t> &lines) {
      return fault.index >= 0 && size_t(fault.index) < lines.size()
                 ? lines[fault.index]
                 : planLineNo;
    };
    switch (fault.kind) {
    case PlanFault::Plan:
      return planLineNo;
    case PlanFault::Chunk:
      return pick(chunkLines);
    case PlanFault::Link:
      return pick(linkLines);
    case PlanFault::Buffer:
      return pick(bufferLines);
    case PlanFault::Channel:
      return pick(channelLines);
    case PlanFault::Program:
      return pick(programLines);
    case PlanFault::Action:
      return actionLine(fault.index, fault.action);
    }
    return planLineNo;
  }

  /// The line of action `action` of program `device`: counted again from
  /// the program line (only on an error).
  int64_t actionLine(int64_t device, int64_t action) {
    if (device < 0 || size_t(device) >= programLines.size())
      return planLineNo;
    pos = programOffsets[device];
    line = programLines[device];
    for (int64_t i = 0; i <= action; ++i)
      if (!nextLine())
        break;
    return line;
  }

  OwnedPlan *plan = nullptr;
  int64_t planLineNo = 0;
  bool seenPlan = false;
  Section section = Section::Plan;
  int64_t totalSlots = 0, totalActions = 0;
  std::vector<int64_t> chunkLines, linkLines, bufferLines, channelLines,
      programLines;
  std::vector<size_t> programOffsets;
};

} // namespace

OwnedPlan *crosspipe::rt::parsePlanText(std::string_view data,
                                        const char *source, CheckLevel level,
                                        std::string &error) {
  try {
    if (data.size() > CROSSPIPE_PLAN_MAX_FILE_BYTES) {
      error = std::string(source ? source : "<plan>") +
              ": error: larger than the limit of 4 GiB";
      return nullptr;
    }
    return PlanReader(data, source).read(level, error);
  } catch (const std::bad_alloc &) {
    error = std::string(source ? source : "<plan>") +
            ": error: out of memory reading the plan";
  } catch (...) {
    error = "internal error reading the plan";
  }
  return nullptr;
}

OwnedPlan *crosspipe::rt::readPlanFile(const char *path, CheckLevel level,
                                       std::string &error) {
  if (!path) {
    error = "no plan file path";
    return nullptr;
  }
  std::string text;
  try {
    FILE *in = std::fopen(path, "rb");
    if (!in) {
      error = std::string("cannot open ") + path + ": " + std::strerror(errno);
      return nullptr;
    }
    char buffer[1 << 16];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), in)) > 0) {
      text.append(buffer, n);
      if (text.size() > CROSSPIPE_PLAN_MAX_FILE_BYTES)
        break;
    }
    bool bad = std::ferror(in);
    int saved = errno;
    std::fclose(in);
    if (bad) {
      error = std::string("cannot read ") + path + ": " + std::strerror(saved);
      return nullptr;
    }
  } catch (const std::bad_alloc &) {
    error = std::string(path) + ": error: out of memory reading the plan";
    return nullptr;
  }
  return parsePlanText(text, path, level, error);
}

extern "C" crosspipe_plan *crosspipe_plan_parse(const char *data, size_t size,
                                                const char *source, char *error,
                                                size_t error_size) {
  std::string message;
  OwnedPlan *plan = nullptr;
  if (!data && size > 0)
    message = "no data";
  else
    plan = parsePlanText(std::string_view(data ? data : "", size), source,
                         CheckLevel::Full, message);
  if (!plan)
    copyError(message, error, error_size);
  return plan;
}

extern "C" crosspipe_plan *crosspipe_plan_read(const char *path, char *error,
                                               size_t size) {
  std::string message;
  OwnedPlan *plan = readPlanFile(path, CheckLevel::Full, message);
  if (!plan)
    copyError(message, error, size);
  return plan;
}
