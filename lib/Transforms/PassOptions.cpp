//===- PassOptions.cpp - The typed values of the passes' enum options -----===//
//
// The choices of the `algorithm` option (--crosspipe-schedule and
// --crosspipe-compile) with their spellings and descriptions, so --help
// lists them and a pipeline string cannot carry an unknown one; and the
// error of options that do not parse.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Transforms/Passes.h"

using namespace mlir;
using namespace crosspipe;

StringRef crosspipe::stringifyScheduleAlgorithm(ScheduleAlgorithm a) {
  switch (a) {
  case ScheduleAlgorithm::GPipe:
    return "gpipe";
  case ScheduleAlgorithm::OneFOneB:
    return "1f1b";
  case ScheduleAlgorithm::Interleaved:
    return "interleaved";
  case ScheduleAlgorithm::ZbH1:
    return "zb-h1";
  case ScheduleAlgorithm::ZbV:
    return "zb-v";
  case ScheduleAlgorithm::DualPipeV:
    return "dualpipe-v";
  case ScheduleAlgorithm::Greedy:
    return "greedy";
  case ScheduleAlgorithm::Optimal:
    return "optimal";
  }
  return "";
}

llvm::cl::ValuesClass crosspipe::scheduleAlgorithmValues() {
  using A = ScheduleAlgorithm;
  return llvm::cl::values(
      clEnumValN(A::GPipe, "gpipe", "all forwards, then all backwards"),
      clEnumValN(A::OneFOneB, "1f1b", "one-forward-one-backward"),
      clEnumValN(A::Interleaved, "interleaved", "Megatron's interleaved 1F1B"),
      clEnumValN(A::ZbH1, "zb-h1", "zero-bubble H1 (split backward)"),
      clEnumValN(A::ZbV, "zb-v", "zero-bubble V (split backward, wave)"),
      clEnumValN(A::DualPipeV, "dualpipe-v",
                 "DeepSeek's DualPipeV (wave; forward/backward pairs)"),
      clEnumValN(A::Greedy, "greedy", "the delay- and memory-aware greedy"),
      clEnumValN(A::Optimal, "optimal",
                 "the constraint-programming solver, seeded by the greedy"));
}

LogicalResult crosspipe::reportPassOptionError(
    StringRef pass, StringRef options, const Twine &message,
    function_ref<LogicalResult(const Twine &)> handler) {
  std::string why = message.str();
  if (why.empty())
    why = "the line above says why";
  std::string text =
      ("invalid options '" + options + "' for --" + pass + ": " + why).str();
  return handler(text);
}
