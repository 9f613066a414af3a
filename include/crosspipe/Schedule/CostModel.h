//===- CostModel.h - Chunk costs from a transformer's shape -----*- C++ -*-===//
//
// Users know their model (hidden size, FFN size, layers, heads, vocabulary,
// sequence length, microbatch size, dtype) and their hardware (peak TFLOP/s,
// the fraction they reach, the tensor-parallel degree), not per-chunk
// milliseconds. This derives what the scheduler needs per model chunk: F, D
// and W times from transformer FLOP counts, T = FLOPs / (P_GPU * n_TP) as in
// the CrossPipe paper's appendix, activation memory, the message sent to the
// next chunk, the gradient all-reduced across data parallelism, and how many
// layers each chunk holds. Like the paper, the embedding and the output layer
// count as one transformer layer each ("62 + 2 layers" for M70), so a model
// with L layers has L + 2 equally priced layer slots. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_SCHEDULE_COSTMODEL_H
#define CROSSPIPE_SCHEDULE_COSTMODEL_H

#include "crosspipe/Schedule/Problem.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crosspipe {
namespace sched {

/// The shape of a decoder-only transformer (Llama style: grouped-query
/// attention, RMSNorm, optionally gated MLP) and of one microbatch.
struct ModelShape {
  int64_t hidden = 0;    ///< d, the model (embedding) width.
  int64_t ffnHidden = 0; ///< Width of the MLP's inner projection.
  int64_t layers = 0;    ///< Transformer layers.
  int64_t heads = 0;     ///< Query heads; head size is hidden / heads.
  int64_t kvHeads = 0;   ///< Key/value heads (== heads without GQA).
  int64_t vocab = 0;
  int64_t sequence = 0;       ///< Tokens per sequence, s.
  int64_t microbatchSize = 1; ///< Sequences per microbatch, b.
  /// Bytes per activation, message and gradient element (2 for bf16/fp16).
  int bytesPerElement = 2;
  /// SwiGLU-style MLP with gate, up and down projections; else two.
  bool gatedMlp = true;
  /// Count the embedding and the output layer as one layer each.
  bool embeddingAsLayers = true;
};

struct HardwareSpec {
  /// Peak dense TFLOP/s of one GPU for the dtype.
  double peakTflops = 0;
  /// The fraction of peak that the model's kernels reach, in (0, 1].
  double efficiency = 1;
  /// GPUs that split every layer (tensor parallelism); one pipeline device
  /// is a group of this many GPUs and its sizes are per GPU.
  int tensorParallel = 1;
};

/// Costs of one transformer layer and one microbatch.
struct LayerCost {
  /// FLOPs of the whole layer (all tensor-parallel GPUs together).
  double forwardFlops = 0;
  double dgradFlops = 0; ///< Input gradient: linear layers + 2x attention.
  double wgradFlops = 0; ///< Weight gradient: linear layers only.
  /// Times on one tensor-parallel group.
  double forwardMs = 0;
  double dgradMs = 0;
  double wgradMs = 0;
  /// Activations held from F until D, per GPU.
  uint64_t activationBytes = 0;
  /// The part of them W needs, held on until W: the inputs of the weight
  /// matmuls (QKV, attention output, MLP, MLP down projection).
  uint64_t wgradActivationBytes = 0;
  /// Weights of the linear layers of the whole layer.
  uint64_t parameters = 0;
  /// Their gradient per GPU, in the element type.
  uint64_t gradientBytes = 0;
};

/// Costs of one model chunk (pipeline stage) and one microbatch.
struct ChunkCost {
  int layers = 0; ///< Layer slots (embedding and output layer included).
  double forwardMs = 0;
  double dgradMs = 0;
  double wgradMs = 0;
  uint64_t activationBytes = 0;
  uint64_t wgradActivationBytes = 0;
  /// The hidden states one microbatch brings into the chunk, what a
  /// recomputing chunk keeps as its checkpoint.
  uint64_t inputBytes = 0;
  uint64_t messageBytes = 0;
  uint64_t gradientBytes = 0;
};

/// Why the shape or hardware cannot be costed (zero sizes, heads that do
/// not divide the width, a tensor-parallel degree that does not divide the
/// heads, ...); nullopt when they can.
std::optional<std::string> checkCostInputs(const ModelShape &model,
                                           const HardwareSpec &hardware);

/// FLOPs, times and sizes of one transformer layer. FLOPs count a multiply-
/// add as two: forward = 2 t P_lin + 4 t s d for t = b s tokens and P_lin
/// linear weights (the attention core without a causal saving, as in
/// Narayanan et al.); backward = 2 x forward, split into D (linear input
/// gradients and the whole attention-core backward) and W (linear weight
/// gradients). Activations follow Korthikanti et al. with flash attention,
/// no dropout and no recomputation: per token 4 d elements replicated across
/// tensor parallelism (both norm inputs, the QKV and the MLP inputs) plus
/// Q, K, V, the attention output and the MLP's intermediates split across
/// it. Of these W needs only the inputs of the weight matmuls, which stay
/// held from D to W: per token 2 d replicated (QKV and MLP inputs) and
/// d + ffn split (the attention output into O, the MLP product into the
/// down projection). Gradients cover the linear weights (norms are
/// replicated and tiny).
/// Requires checkCostInputs() to pass.
LayerCost estimateLayer(const ModelShape &model, const HardwareSpec &hardware);

/// Layer slots: layers, plus 2 when the embedding and the output layer count.
int64_t layerSlots(const ModelShape &model);

/// Splits `slots` layer slots over `numChunks` chunks in model order as evenly
/// as possible; the first (slots mod numChunks) chunks get one more. Empty
/// when numChunks < 1 or slots < numChunks (a chunk would hold nothing).
std::vector<int> layersPerChunk(int64_t slots, int numChunks);

/// The activation a chunk sends to the next one per microbatch: b s d
/// elements, times `sharingPipelines` when that many data-parallel pipeline
/// replicas send theirs over the same link at the same time (the paper
/// models them as one message that much larger).
uint64_t messageBytes(const ModelShape &model, int sharingPipelines = 1);

/// Per-chunk costs for `numChunks` chunks (see layersPerChunk); empty when
/// the inputs fail checkCostInputs() or the slots cannot fill the chunks.
std::vector<ChunkCost> estimateChunks(const ModelShape &model,
                                      const HardwareSpec &hardware,
                                      int numChunks, int sharingPipelines = 1);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_SCHEDULE_COSTMODEL_H
