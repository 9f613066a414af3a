//===- CostModel.cpp - Chunk costs from a transformer's shape -------------===//
//
// The formulas of CostModel.h. Sizes are exact integers (the unit tests and
// the bundled M70 example compare them to the byte); FLOPs and times are
// doubles. A tensor-parallel share that does not divide evenly is rounded up,
// since the largest shard is the one that sets memory and time.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/CostModel.h"

#include <algorithm>

using namespace crosspipe::sched;

namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/// Width of the key (or value) projection.
int64_t kvWidth(const ModelShape &m) { return m.hidden / m.heads * m.kvHeads; }

/// Matrices in the MLP: gate, up and down, or in and out.
int64_t mlpMatrices(const ModelShape &m) { return m.gatedMlp ? 3 : 2; }

/// Weights of the linear layers: Q and O (d x d), K and V (d x kv), the MLP.
uint64_t linearParameters(const ModelShape &m) {
  uint64_t d = uint64_t(m.hidden);
  return 2 * d * d + 2 * d * uint64_t(kvWidth(m)) +
         uint64_t(mlpMatrices(m)) * d * uint64_t(m.ffnHidden);
}

} // namespace

std::optional<std::string>
crosspipe::sched::checkCostInputs(const ModelShape &m, const HardwareSpec &hw) {
  auto positive = [](int64_t v) { return v > 0; };
  if (!positive(m.hidden) || !positive(m.ffnHidden) || !positive(m.layers) ||
      !positive(m.heads) || !positive(m.kvHeads) || !positive(m.vocab) ||
      !positive(m.sequence) || !positive(m.microbatchSize))
    return std::string("every model size must be positive");
  if (m.bytesPerElement < 1)
    return std::string("the element size must be at least one byte");
  if (m.hidden % m.heads != 0)
    return "the hidden size " + std::to_string(m.hidden) +
           " is not a multiple of the " + std::to_string(m.heads) +
           " attention heads";
  if (m.heads % m.kvHeads != 0)
    return "the " + std::to_string(m.heads) +
           " attention heads are not a multiple of the " +
           std::to_string(m.kvHeads) + " key/value heads";
  if (!(hw.peakTflops > 0))
    return std::string("the peak TFLOP/s must be positive");
  if (!(hw.efficiency > 0) || hw.efficiency > 1)
    return std::string("the efficiency must be in (0, 1]");
  if (hw.tensorParallel < 1)
    return std::string("the tensor-parallel degree must be at least 1");
  // Megatron splits attention by heads: every GPU needs whole query heads.
  if (m.heads % hw.tensorParallel != 0)
    return "tensor parallelism of " + std::to_string(hw.tensorParallel) +
           " does not divide the " + std::to_string(m.heads) +
           " attention heads";
  return std::nullopt;
}

LayerCost crosspipe::sched::estimateLayer(const ModelShape &m,
                                          const HardwareSpec &hw) {
  LayerCost cost;
  uint64_t tokens = uint64_t(m.microbatchSize) * uint64_t(m.sequence);
  uint64_t e = uint64_t(m.bytesPerElement);
  uint64_t tp = uint64_t(hw.tensorParallel);
  uint64_t d = uint64_t(m.hidden);

  cost.parameters = linearParameters(m);
  double linear = 2.0 * double(tokens) * double(cost.parameters);
  // Q K^T and the weighted sum of V, each s x s x d multiply-adds per
  // sequence; no weights, so their backward (twice the work) is all in D.
  double attention = 4.0 * double(tokens) * double(m.sequence) * double(d);
  cost.forwardFlops = linear + attention;
  cost.dgradFlops = linear + 2 * attention;
  cost.wgradFlops = linear;

  double flopsPerMs =
      hw.peakTflops * 1e12 * hw.efficiency * double(hw.tensorParallel) / 1e3;
  cost.forwardMs = cost.forwardFlops / flopsPerMs;
  cost.dgradMs = cost.dgradFlops / flopsPerMs;
  cost.wgradMs = cost.wgradFlops / flopsPerMs;

  // Per token: the two norm inputs and the QKV and MLP inputs are replicated
  // on every tensor-parallel GPU; Q, K, V, the attention output and the
  // MLP's inner activations (gate, up and their product, or in and the
  // activation) are split across them.
  uint64_t replicated = 4 * d * e;
  uint64_t split = (2 * d + 2 * uint64_t(kvWidth(m)) +
                    uint64_t(mlpMatrices(m)) * uint64_t(m.ffnHidden)) *
                   e;
  cost.activationBytes = tokens * (replicated + ceilDiv(split, tp));
  // What W reads: the QKV and MLP inputs (replicated), the attention output
  // and the MLP's product (split) -- the inputs of the weight matmuls.
  uint64_t wgradSplit = (d + uint64_t(m.ffnHidden)) * e;
  cost.wgradActivationBytes = tokens * (2 * d * e + ceilDiv(wgradSplit, tp));
  cost.gradientBytes = ceilDiv(cost.parameters, tp) * e;
  return cost;
}

int64_t crosspipe::sched::layerSlots(const ModelShape &m) {
  return m.layers + (m.embeddingAsLayers ? 2 : 0);
}

std::vector<int> crosspipe::sched::layersPerChunk(int64_t slots,
                                                  int numChunks) {
  if (numChunks < 1 || slots < numChunks)
    return {};
  std::vector<int> layers(numChunks, int(slots / numChunks));
  for (int64_t c = 0; c < slots % numChunks; ++c)
    ++layers[c];
  return layers;
}

uint64_t crosspipe::sched::messageBytes(const ModelShape &m,
                                        int sharingPipelines) {
  return uint64_t(m.microbatchSize) * uint64_t(m.sequence) *
         uint64_t(m.hidden) * uint64_t(m.bytesPerElement) *
         uint64_t(std::max(sharingPipelines, 1));
}

std::vector<ChunkCost> crosspipe::sched::estimateChunks(const ModelShape &m,
                                                        const HardwareSpec &hw,
                                                        int numChunks,
                                                        int sharingPipelines) {
  if (checkCostInputs(m, hw))
    return {};
  std::vector<int> layers = layersPerChunk(layerSlots(m), numChunks);
  if (layers.empty())
    return {};
  LayerCost layer = estimateLayer(m, hw);
  uint64_t message = messageBytes(m, sharingPipelines);
  std::vector<ChunkCost> chunks;
  for (int n : layers) {
    ChunkCost c;
    c.layers = n;
    c.forwardMs = n * layer.forwardMs;
    c.dgradMs = n * layer.dgradMs;
    c.wgradMs = n * layer.wgradMs;
    c.activationBytes = uint64_t(n) * layer.activationBytes;
    c.wgradActivationBytes = uint64_t(n) * layer.wgradActivationBytes;
    c.inputBytes = messageBytes(m);
    c.messageBytes = message;
    c.gradientBytes = uint64_t(n) * layer.gradientBytes;
    chunks.push_back(c);
  }
  return chunks;
}
