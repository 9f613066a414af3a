//===- CrossPipeToEmitC.h - Execution plans to EmitC ------------*- C++ -*-===//
//
// Lowering a crosspipe.plan to EmitC that calls CUDA, NCCL and the CrossPipe
// runtime (include/crosspipe/Runtime/Runtime.h). The pass builds the
// functions and hoists the streams; the patterns turn each stream op into
// the calls that run it, with plan events becoming cudaEvent_t values
// through the type converter. PlanLayout numbers what the runtime indexes:
// buffers, events, channels, links and timed records.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_CROSSPIPETOEMITC_H
#define CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_CROSSPIPETOEMITC_H

#include "crosspipe/Conversion/Passes.h"
#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Schedule/Problem.h"

#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <tuple>

namespace crosspipe {

/// The runtime's numbering of a plan.
class PlanLayout {
public:
  /// Numbers everything in `plan`, whose schedule's pipeline gives the
  /// costs (`problem`). Fails on a plan that does not verify.
  static mlir::FailureOr<PlanLayout> build(PlanOp plan, PlanBackend backend);

  PlanBackend backend = PlanBackend::Nccl;
  sched::Problem problem;
  std::string algorithm;
  double makespanMs = 0, lowerBoundMs = 0;
  int numDevices = 0;

  /// Buffers in declaration order.
  llvm::SmallVector<BufferOp> buffers;
  llvm::StringMap<int> bufferId;
  /// Per stream op: its events (start may be -1) and its record id (for
  /// traces and messages) among the blocks, transfers or all-reduces.
  struct OpIds {
    int startEvent = -1;
    int endEvent = -1;
    int record = -1;
  };
  llvm::DenseMap<mlir::Operation *, OpIds> ids;
  /// Events [first, first + count) of each device.
  std::vector<std::pair<int, int>> deviceEvents;
  /// Channels by (kind, src, dst), in first-use order.
  std::map<std::tuple<int, int, int>, int> channels;
  /// Links of the model by the simulator's LinkId, with their names.
  std::map<sched::LinkId, int> links;
  std::vector<std::string> linkNames;
  /// Matching receive of each send.
  llvm::DenseMap<mlir::Operation *, RecvOp> recvOf;
  /// Ops in plan order: exec ops, sends, all-reduces (their record order).
  llvm::SmallVector<ExecOp> blocks;
  llvm::SmallVector<SendOp> transfers;
  llvm::SmallVector<DpAllReduceOp> reduces;

  int channelOf(TransferKind kind, int64_t src, int64_t dst) const;
  int linkOf(int64_t src, int64_t dst) const;
  /// Model costs of one message of chunk boundary `boundary`.
  double bandwidthMs(int64_t src, int64_t dst, int boundary) const;
  double latencyMs(int64_t src, int64_t dst) const;
};

/// Where the lowering of one function finds its runtime pointer and the
/// streams the pass hoisted to its entry.
struct PlanLoweringState {
  const PlanLayout *layout = nullptr;
  /// (function, device, crosspipe_stream_kind) -> cudaStream_t value.
  std::map<std::tuple<mlir::Operation *, int, int>, mlir::Value> streams;
  /// (function, link) -> cudaStream_t value (emulate backend).
  std::map<std::pair<mlir::Operation *, int>, mlir::Value> linkStreams;
};

/// Plan events (`none` tokens) become `cudaEvent_t`.
class PlanTypeConverter : public mlir::TypeConverter {
public:
  explicit PlanTypeConverter(mlir::MLIRContext *ctx);
};

/// The patterns for crosspipe.exec, send, recv and dp_allreduce under the
/// layout's backend. The ops must already sit in the emitc.func that will
/// run them, whose first argument is the crosspipe_runtime pointer.
void populateCrossPipePlanToEmitCPatterns(mlir::RewritePatternSet &patterns,
                                          PlanTypeConverter &converter,
                                          const PlanLoweringState &state);

} // namespace crosspipe

#endif // CROSSPIPE_CONVERSION_CROSSPIPETOEMITC_CROSSPIPETOEMITC_H
