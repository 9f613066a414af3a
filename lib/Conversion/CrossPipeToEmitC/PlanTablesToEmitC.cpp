//===- PlanTablesToEmitC.cpp - A plan's tables as EmitC globals -----------===//
//
// Each table is one `emitc.global static const` of an array of the ABI's
// struct type (an opaque type: EmitC has no structs) with its initializer
// as C++ text, built here with to_chars rather than ops so that a plan of
// half a million actions stays a few dozen ops and a few MB of text. The
// crosspipe_plan header points at the tables, and crosspipe_compiled_plan
// returns its address.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "crosspipe/Conversion/CrossPipeToEmitC/CrossPipeToEmitC.h"

#include "EmitCBuilder.h"
#include "UnrolledSteps.h"

#include <charconv>

using namespace mlir;
using namespace crosspipe;

namespace {
/// Initializer text, appended without streams.
class Text {
public:
  Text &operator<<(std::string_view s) {
    out.append(s);
    return *this;
  }
  Text &operator<<(int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, end);
    return *this;
  }
  Text &operator<<(double v) { return *this << formatCppDouble(v); }
  Text &quoted(const char *s) { return *this << "\"" << s << "\""; }
  std::string take() { return std::move(out); }

private:
  std::string out;
};

const char *roleConstant(int role) {
  static const char *const names[] = {"CROSSPIPE_STASH", "CROSSPIPE_ACT",
                                      "CROSSPIPE_GRAD", "CROSSPIPE_PARAM_GRAD"};
  return role >= 0 && role < 4 ? names[role] : "-1";
}

/// `{op,chunk,...}` up to the last non-zero field (at least the op).
void appendAction(Text &t, const crosspipe_action &a) {
  const int32_t fields[] = {a.op,  a.chunk, a.mb,   a.slot,
                            a.out, a.stash, a.part, a.parts};
  int n = 8;
  while (n > 1 && fields[n - 1] == 0)
    --n;
  t << "  {";
  for (int i = 0; i < n; ++i) {
    if (i)
      t << ",";
    t << int64_t(fields[i]);
  }
  t << "},\n";
}

class TableEmitter {
public:
  TableEmitter(OpBuilder &b, Location loc, const plan::PlanTables &tables)
      : b(b), e(b, loc), loc(loc), tables(tables), p(tables.plan()) {}
  void emit();

private:
  /// `static const <type> <name>[count] = {\n<rows>};`, or nothing when
  /// empty; returns the name to point at, or "nullptr".
  std::string global(StringRef name, StringRef type, int64_t count,
                     std::string rows);
  std::string chunks();
  std::string buffers();
  std::string channels();
  std::string links();
  std::string programs();
  void header(const std::string &chunkTable, const std::string &bufferTable,
              const std::string &channelTable, const std::string &linkTable,
              const std::string &programTable);

  OpBuilder &b;
  EmitCBuilder e;
  Location loc;
  const plan::PlanTables &tables;
  const crosspipe_plan &p;
};
} // namespace

std::string TableEmitter::global(StringRef name, StringRef type, int64_t count,
                                 std::string rows) {
  if (count == 0)
    return "nullptr";
  auto arrayType = emitc::ArrayType::get({count}, e.type(type));
  auto init = emitc::OpaqueAttr::get(b.getContext(), "{\n" + rows + "}");
  createOp<emitc::GlobalOp>(b, loc, name, arrayType, init,
                            /*extern_specifier=*/false,
                            /*static_specifier=*/true,
                            /*const_specifier=*/true);
  return name.str();
}

std::string TableEmitter::chunks() {
  e.comment("Chunks: device, forward, backward, dgrad, wgrad, all-reduce "
            "(ms)");
  Text t;
  for (int c = 0; c < p.chunks; ++c) {
    const crosspipe_chunk &k = p.chunk_table[c];
    t << "  {" << int64_t(k.device) << ", " << k.forward_ms << ", "
      << k.backward_ms << ", " << k.dgrad_ms << ", " << k.wgrad_ms << ", "
      << k.allreduce_ms << "},\n";
  }
  return global("crosspipe_chunk_table", "crosspipe_chunk", p.chunks, t.take());
}

std::string TableEmitter::buffers() {
  e.comment("Buffers: device, role, chunk (a message's boundary), slots, "
            "bytes per slot, name");
  Text t;
  for (int i = 0; i < p.num_buffers; ++i) {
    const crosspipe_buffer &buf = p.buffers[i];
    t << "  {" << int64_t(buf.device) << ", " << roleConstant(buf.role) << ", "
      << int64_t(buf.chunk) << ", " << int64_t(buf.slots) << ", "
      << std::to_string(buf.bytes) << "u, ";
    t.quoted(buf.name) << "},\n";
  }
  return global("crosspipe_buffer_table", "crosspipe_buffer", p.num_buffers,
                t.take());
}

std::string TableEmitter::channels() {
  e.comment("Channels: src, dst, role, link, latency (ms), Gbit/s");
  Text t;
  for (int i = 0; i < p.num_channels; ++i) {
    const crosspipe_channel &ch = p.channels[i];
    t << "  {" << int64_t(ch.src) << ", " << int64_t(ch.dst) << ", "
      << roleConstant(ch.role) << ", " << int64_t(ch.link) << ", "
      << ch.latency_ms << ", " << ch.gbps << "},\n";
  }
  return global("crosspipe_channel_table", "crosspipe_channel", p.num_channels,
                t.take());
}

std::string TableEmitter::links() {
  e.comment("Links of the model");
  Text t;
  for (int i = 0; i < p.num_links; ++i) {
    t << "  {";
    t.quoted(p.links[i].name) << "},\n";
  }
  return global("crosspipe_link_table", "crosspipe_link", p.num_links,
                t.take());
}

std::string TableEmitter::programs() {
  Text table;
  for (int d = 0; d < p.devices; ++d) {
    const std::vector<crosspipe_action> &program = tables.program(d);
    e.comment("Device " + std::to_string(d) + ": " +
              std::to_string(program.size()) +
              " actions (op, chunk, mb, slot, out, stash, part, parts; "
              "trailing zeros omitted)");
    Text t;
    for (const crosspipe_action &a : program)
      appendAction(t, a);
    std::string name = global("crosspipe_program_" + std::to_string(d),
                              "crosspipe_action", program.size(), t.take());
    table << "  {" << int64_t(d) << ", " << int64_t(program.size()) << ", "
          << name << "},\n";
  }
  e.comment("Programs: device, action count, actions");
  return global("crosspipe_program_table", "crosspipe_program", p.devices,
                table.take());
}

void TableEmitter::header(const std::string &chunkTable,
                          const std::string &bufferTable,
                          const std::string &channelTable,
                          const std::string &linkTable,
                          const std::string &programTable) {
  e.comment("The plan");
  Text t;
  t << "  " << int64_t(p.version) << ", ";
  t.quoted(p.name) << ", ";
  t.quoted(p.algorithm)
      << ",\n  "
      << (p.arrangement == CROSSPIPE_ARRANGE_EMULATE
              ? "CROSSPIPE_ARRANGE_EMULATE"
              : "CROSSPIPE_ARRANGE_NCCL")
      << ",\n  " << int64_t(p.devices) << ", " << int64_t(p.chunks) << ", "
      << int64_t(p.microbatches) << ", " << int64_t(p.dp_degree)
      << ", /* devices, chunks, microbatches, dp_degree */\n  " << p.makespan_ms
      << ", " << p.lower_bound_ms << ", /* makespan_ms, lower_bound_ms */\n  "
      << chunkTable << ",\n  " << int64_t(p.num_buffers) << ", " << bufferTable
      << ",\n  " << int64_t(p.num_channels) << ", " << channelTable << ",\n  "
      << int64_t(p.num_links) << ", " << linkTable << ",\n  " << programTable
      << "\n";
  auto init = emitc::OpaqueAttr::get(b.getContext(), "{\n" + t.take() + "}");
  createOp<emitc::GlobalOp>(b, loc, "crosspipe_plan_data",
                            e.type("crosspipe_plan"), init, false, true, true);
  // const crosspipe_plan *crosspipe_compiled_plan(void) (Plan.h).
  Type result = e.pointer("const crosspipe_plan");
  auto func = createOp<emitc::FuncOp>(b, loc, "crosspipe_compiled_plan",
                                      b.getFunctionType({}, {result}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(func.addEntryBlock());
  Value address =
      createOp<emitc::LiteralOp>(b, loc, result, "&crosspipe_plan_data");
  createOp<emitc::ReturnOp>(b, loc, address);
}

void TableEmitter::emit() {
  std::string chunkTable = chunks();
  std::string bufferTable = buffers();
  std::string channelTable = channels();
  std::string linkTable = links();
  std::string programTable = programs();
  header(chunkTable, bufferTable, channelTable, linkTable, programTable);
}

PlanForm crosspipe::resolveForm(PlanForm form, const plan::PlanTables &tables) {
  if (form != PlanForm::Auto)
    return form;
  return tables.numEntries() <= kUnrolledMaxEntries ? PlanForm::Unrolled
                                                    : PlanForm::Table;
}

void crosspipe::emitPlanModule(ModuleOp module, Location loc,
                               const plan::PlanTables &tables,
                               const plan::Plan &plan, PlanForm form) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  createOp<emitc::IncludeOp>(b, loc, "crosspipe/Runtime/Plan.h",
                             /*standard=*/false);
  // Rows leave their trailing zero fields out on purpose (-Wextra would
  // warn once per row).
  createOp<emitc::VerbatimOp>(b,
      loc, b.getStringAttr("#ifdef __GNUC__\n#pragma GCC diagnostic ignored "
                           "\"-Wmissing-field-initializers\"\n#endif"));
  EmitCBuilder(b, loc).comment("Plan " + std::string(tables.plan().name) +
                               " (" + tables.plan().algorithm +
                               "): the tables of crosspipe/Runtime/Plan.h");
  TableEmitter(b, loc, tables).emit();
  if (resolveForm(form, tables) == PlanForm::Unrolled)
    emitUnrolledSteps(b, loc, tables, plan);
}

void crosspipe::eraseCrossPipeOps(ModuleOp module) {
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (op.getDialect() && op.getDialect()->getNamespace() == "crosspipe")
      op.erase();
}
