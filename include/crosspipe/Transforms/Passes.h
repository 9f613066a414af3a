//===- Passes.h - CrossPipe passes ------------------------------*- C++ -*-===//
//
// Declarations and registration of the passes declared in Passes.td next to
// this header, and the typed values of their enum options.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_TRANSFORMS_PASSES_H
#define CROSSPIPE_TRANSFORMS_PASSES_H

#include "crosspipe/Dialect/CrossPipeDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/CommandLine.h"

namespace crosspipe {

/// The algorithms of --crosspipe-schedule: the static baselines, the greedy
/// and the optimal solver.
enum class ScheduleAlgorithm {
  GPipe,
  OneFOneB,
  Interleaved,
  ZbH1,
  ZbV,
  DualPipeV,
  Greedy,
  Optimal
};
/// The option spelling of an algorithm ("gpipe", "1f1b", ..., "optimal").
llvm::StringRef stringifyScheduleAlgorithm(ScheduleAlgorithm algorithm);
/// The choices of an algorithm option, with their descriptions.
llvm::cl::ValuesClass scheduleAlgorithmValues();

/// The error a pass reports when its options do not parse. MLIR 19 prints
/// llvm::cl's reason on stderr and then hands the pass an empty message
/// (an empty `<unknown>:0: error:` line); passes with options override
/// Pass::initializeOptions to route errors through this, which names the
/// pass and the options it refused, then the reason when MLIR gives one.
mlir::LogicalResult reportPassOptionError(
    llvm::StringRef pass, llvm::StringRef options, const llvm::Twine &message,
    llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)> handler);

/// The base of a pass with options, between it and its generated base
/// (`struct XPass : ReportsOptionErrors<impl::XPassBase<XPass>>`): routes
/// the errors of its options through reportPassOptionError.
template <typename PassBase>
class ReportsOptionErrors : public PassBase {
public:
  using PassBase::PassBase;

  mlir::LogicalResult initializeOptions(
      llvm::StringRef options,
      llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)>
          errorHandler) override {
    return PassBase::initializeOptions(
        options, [&](const llvm::Twine &message) {
          return reportPassOptionError(this->getArgument(), options, message,
                                       errorHandler);
        });
  }
};

/// Proves a plan runnable: every block of its schedule runs exactly once,
/// every transfer has one send and one receive in matching order on its
/// channel, inputs are waited for, no buffer slot is overwritten while it
/// may still be read, and the streams cannot deadlock when every send waits
/// for its receive. Emits an error at the first violation. The
/// --crosspipe-verify-plan pass runs it on every plan; the lowering runs it
/// again before it trusts a plan.
mlir::LogicalResult verifyPlan(PlanOp plan);

#define GEN_PASS_DECL
#include "crosspipe/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "crosspipe/Transforms/Passes.h.inc"

} // namespace crosspipe

#endif // CROSSPIPE_TRANSFORMS_PASSES_H
