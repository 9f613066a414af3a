//===- UnrolledSteps.cpp - A plan as one runtime call per action ----------===//
//
// The unrolled form: the same tables, plus the device programs written out
// as calls, so a reader (or a debugger) sees each device's step as code:
//
//   // device 1: F chunk 1 mb 0, simulated 10.4 ms to 20.4 ms; waits for
//   //   recv act chunk 0 mb 0 from device 0
//   crosspipe_exec(v1, 1, 4);   <- the WAIT entry
//   crosspipe_exec(v1, 1, 5);   <- the F
//
// crosspipe_exec(rt, device, index) is the runtime's: it issues entry
// `index` of `device`'s program exactly as the runtime's own loop over the
// tables would, so both forms run identically.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Support/Create.h"
#include "UnrolledSteps.h"

#include "EmitCBuilder.h"

#include "crosspipe/Plan/PlanCheck.h"

#include <cstdio>

using namespace mlir;
using namespace crosspipe;

namespace {
/// Simulated times to the microsecond: "10.4 ms", "304.002 ms".
std::string ms(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.3f", value);
  std::string out = text;
  while (out.back() == '0')
    out.pop_back();
  if (out.back() == '.')
    out.pop_back();
  return out + " ms";
}

/// The channel of a message action, or -1.
int channelOf(const crosspipe_plan &p, const plan::Action &a) {
  int role = a.gradient ? CROSSPIPE_GRAD : CROSSPIPE_ACT;
  for (int c = 0; c < p.num_channels; ++c)
    if (p.channels[c].src == a.src && p.channels[c].dst == a.dst &&
        p.channels[c].role == role)
      return c;
  return -1;
}

/// "device 1: send act chunk 1 mb 0 to device 2 on channel 1 over link
/// east->west, simulated link time 20.4 ms to 24.4 ms".
std::string describe(const crosspipe_plan &p, const plan::Action &a) {
  std::string text =
      "device " + std::to_string(a.device) + ": " + plan::describeAction(a);
  bool transfer =
      a.kind == plan::ActionKind::Send || a.kind == plan::ActionKind::Recv;
  if (transfer) {
    int channel = channelOf(p, a);
    if (channel >= 0)
      text += " on channel " + std::to_string(channel) + " over link " +
              p.links[p.channels[channel].link].name;
  }
  if (a.kind == plan::ActionKind::Send && a.occupancy.endMs > 0)
    text += ", simulated link time " + ms(a.occupancy.startMs) + " to " +
            ms(a.occupancy.endMs);
  else if (a.kind == plan::ActionKind::Recv && a.arrivalMs > 0)
    text += ", arrives at " + ms(a.arrivalMs) + " (simulated)";
  else if (!transfer && a.time.endMs > 0)
    text += ", simulated " + ms(a.time.startMs) + " to " + ms(a.time.endMs);
  return text;
}

class UnrolledEmitter {
public:
  UnrolledEmitter(OpBuilder &b, Location loc, const plan::PlanTables &tables,
                  const plan::Plan &plan)
      : b(b), e(b, loc), loc(loc), tables(tables), plan(plan) {}
  void emit();

private:
  Type runtimeType() { return e.pointer("crosspipe_runtime"); }
  emitc::FuncOp deviceFunction(int device);
  void step(ArrayRef<emitc::FuncOp> functions);

  OpBuilder &b;
  EmitCBuilder e;
  Location loc;
  const plan::PlanTables &tables;
  const plan::Plan &plan;
};
} // namespace

/// `static void crosspipe_step_device_<d>(crosspipe_runtime *rt)`.
emitc::FuncOp UnrolledEmitter::deviceFunction(int device) {
  auto func = createOp<emitc::FuncOp>(b,
      loc, "crosspipe_step_device_" + std::to_string(device),
      b.getFunctionType({runtimeType()}, {}));
  func.setSpecifiersAttr(b.getStrArrayAttr({"static"}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(func.addEntryBlock());
  Value rt = func.getArgument(0);
  const std::vector<crosspipe_action> &program = tables.program(device);
  const std::vector<int> &sources = tables.sources(device);
  size_t i = 0;
  while (i < program.size()) {
    // A group: the WAIT entries of an action, then the action.
    size_t first = i;
    std::string waits;
    for (; i + 1 < program.size() && program[i].op == CROSSPIPE_OP_WAIT; ++i)
      waits += (waits.empty() ? "; waits for " : ", ") +
               plan::describeAction(plan.actions[sources[i]]);
    e.comment(describe(tables.plan(), plan.actions[sources[i]]) + waits);
    for (; first <= i; ++first)
      e.callVoid("crosspipe_exec", {rt, e.i32(device), e.i32(first)});
    ++i;
  }
  createOp<emitc::ReturnOp>(b, loc, Value());
  return func;
}

/// `void crosspipe_compiled_step(crosspipe_runtime *rt, int32_t device)`:
/// the function of `device`, or nothing for a device the plan lacks.
void UnrolledEmitter::step(ArrayRef<emitc::FuncOp> functions) {
  auto func = createOp<emitc::FuncOp>(b,
      loc, "crosspipe_compiled_step",
      b.getFunctionType({runtimeType(), b.getI32Type()}, {}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(func.addEntryBlock());
  Value rt = func.getArgument(0), device = func.getArgument(1);
  for (auto [d, callee] : llvm::enumerate(functions)) {
    Value literal =
        createOp<emitc::LiteralOp>(b, loc, b.getI32Type(), std::to_string(d));
    Value mine = createOp<emitc::CmpOp>(b,
        loc, b.getI1Type(), emitc::CmpPredicate::eq, device, literal);
    createOp<emitc::IfOp>(b, loc, mine, [&](OpBuilder &nested, Location l) {
      createOp<emitc::CallOp>(nested, l, callee, ValueRange{rt});
      createOp<emitc::YieldOp>(nested, l);
    });
  }
  createOp<emitc::ReturnOp>(b, loc, Value());
}

void UnrolledEmitter::emit() {
  // Declared here with C linkage so the file needs no runtime header (the
  // runtime's own declarations, if any, must agree).
  e.comment("The runtime runs one entry of a program; this file's step "
            "runs a device's whole program, one call per entry.");
  createOp<emitc::VerbatimOp>(b,
      loc, b.getStringAttr(
               "extern \"C\" {\n"
               "typedef struct crosspipe_runtime crosspipe_runtime;\n"
               "void crosspipe_exec(crosspipe_runtime *rt, int32_t device, "
               "int32_t index);\n"
               "void crosspipe_compiled_step(crosspipe_runtime *rt, "
               "int32_t device);\n"
               "}"));
  SmallVector<emitc::FuncOp> functions;
  for (int d = 0; d < tables.numDevices(); ++d)
    functions.push_back(deviceFunction(d));
  step(functions);
}

void crosspipe::emitUnrolledSteps(OpBuilder &b, Location loc,
                                  const plan::PlanTables &tables,
                                  const plan::Plan &plan) {
  UnrolledEmitter(b, loc, tables, plan).emit();
}
