//===- CostModelTest.cpp - Transformer cost formulas by hand --------------===//
//
// The cost model against values computed by hand for a Llama-3-70B layer
// (hidden 8192, FFN 28672, 64 heads, 8 KV heads, sequence 4096, microbatch 1,
// bf16, TP4), against the closed form of Narayanan et al. for a GPT layer,
// against the published parameter counts of Llama-3 70B and 405B, and
// against the numbers the bundled M70 example derives in its comment
// (3680 MiB activations, 64 MiB messages, 3264 MiB gradients per stage).
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/CostModel.h"

#include "gtest/gtest.h"

using namespace crosspipe::sched;

namespace {

ModelShape llama70b() {
  ModelShape m;
  m.hidden = 8192;
  m.ffnHidden = 28672;
  m.layers = 80;
  m.heads = 64;
  m.kvHeads = 8;
  m.vocab = 128256;
  m.sequence = 4096;
  m.microbatchSize = 1;
  return m;
}

HardwareSpec tp4(double peak = 1000, double efficiency = 0.5) {
  HardwareSpec hw;
  hw.peakTflops = peak;
  hw.efficiency = efficiency;
  hw.tensorParallel = 4;
  return hw;
}

TEST(CostModel, Llama70bLayerByHand) {
  ASSERT_FALSE(checkCostInputs(llama70b(), tp4()));
  LayerCost layer = estimateLayer(llama70b(), tp4());
  // Q, O: 8192^2 each; K, V: 8192 x 1024 each; gate, up, down: 8192 x 28672.
  EXPECT_EQ(layer.parameters, 855638016u);
  // 2 x 4096 tokens x weights, plus 4 x 4096 x 4096 x 8192 for attention.
  EXPECT_DOUBLE_EQ(layer.forwardFlops, 7009386627072.0 + 549755813888.0);
  EXPECT_DOUBLE_EQ(layer.dgradFlops, 7009386627072.0 + 2 * 549755813888.0);
  EXPECT_DOUBLE_EQ(layer.wgradFlops, 7009386627072.0);
  // 1000 TFLOP/s x 0.5 x 4 GPUs = 2e12 FLOP per ms.
  EXPECT_NEAR(layer.forwardMs, 3.77957122048, 1e-9);
  EXPECT_NEAR(layer.dgradMs, 4.054449127424, 1e-9);
  EXPECT_NEAR(layer.wgradMs, 3.504693313536, 1e-9);
  // Per token: 4 x 8192 x 2 B replicated + (2 x 8192 + 2 x 1024 + 3 x 28672)
  // x 2 B / 4 split = 65536 + 52224 = 117760 B; x 4096 tokens.
  EXPECT_EQ(layer.activationBytes, 117760u * 4096u);
  // 855638016 / 4 weights per GPU, 2 bytes each.
  EXPECT_EQ(layer.gradientBytes, 427819008u);
  EXPECT_EQ(messageBytes(llama70b()), 64 * kMiB);
  EXPECT_EQ(messageBytes(llama70b(), 4), 256 * kMiB);
}

TEST(CostModel, NarayananClosedFormForGptLayer) {
  // GPT-3 175B: plain MLP of width 4d, no grouped-query attention; the
  // forward FLOPs per layer are 24 b s d^2 + 4 b s^2 d.
  ModelShape m;
  m.hidden = 12288;
  m.ffnHidden = 4 * 12288;
  m.layers = 96;
  m.heads = 96;
  m.kvHeads = 96;
  m.vocab = 50257;
  m.sequence = 2048;
  m.microbatchSize = 2;
  m.gatedMlp = false;
  HardwareSpec hw;
  hw.peakTflops = 312;
  hw.tensorParallel = 8;
  LayerCost layer = estimateLayer(m, hw);
  double b = 2, s = 2048, d = 12288;
  EXPECT_DOUBLE_EQ(layer.forwardFlops, 24 * b * s * d * d + 4 * b * s * s * d);
  EXPECT_DOUBLE_EQ(layer.dgradFlops + layer.wgradFlops, 2 * layer.forwardFlops);
  EXPECT_EQ(layer.parameters, uint64_t(12 * 12288) * 12288);
  EXPECT_NEAR(layer.forwardMs, layer.forwardFlops / (312e12 * 8) * 1e3, 1e-9);
}

TEST(CostModel, PublishedParameterCounts) {
  // Linear weights of every layer plus the input and output embeddings.
  ModelShape m70 = llama70b();
  double p70 =
      double(estimateLayer(m70, tp4()).parameters) * 80 + 2.0 * 128256 * 8192;
  EXPECT_NEAR(p70 / 70.6e9, 1.0, 0.005);

  ModelShape m405 = llama70b();
  m405.hidden = 16384;
  m405.ffnHidden = 53248;
  m405.layers = 126;
  m405.heads = 128;
  HardwareSpec hw = tp4();
  hw.tensorParallel = 8;
  double p405 =
      double(estimateLayer(m405, hw).parameters) * 126 + 2.0 * 128256 * 16384;
  EXPECT_NEAR(p405 / 405e9, 1.0, 0.005);
}

TEST(CostModel, M70StagesMatchTheBundledExample) {
  // The paper's M70: 80 -> 62 layers + embedding + head = 64 slots over
  // 8 stages. At 40% of a GH200's 989 TFLOP/s T_F is the paper's 38 ms.
  ModelShape m = llama70b();
  m.layers = 62;
  EXPECT_EQ(layerSlots(m), 64);
  std::vector<ChunkCost> chunks = estimateChunks(m, tp4(989, 0.4), 8);
  ASSERT_EQ(chunks.size(), 8u);
  for (const ChunkCost &c : chunks) {
    EXPECT_EQ(c.layers, 8);
    EXPECT_EQ(c.activationBytes, 3680 * kMiB);
    EXPECT_EQ(c.messageBytes, 64 * kMiB);
    EXPECT_EQ(c.gradientBytes, 3264 * kMiB);
    EXPECT_NEAR(c.forwardMs, 38.0, 0.5);
    // The paper: D and W each cost about as much as F.
    EXPECT_NEAR(c.dgradMs / c.forwardMs, 1.07, 0.01);
    EXPECT_NEAR(c.wgradMs / c.forwardMs, 0.93, 0.01);
  }
  m.embeddingAsLayers = false;
  EXPECT_EQ(layerSlots(m), 62);
}

TEST(CostModel, LayerSplitAndSharedLinks) {
  EXPECT_EQ(layersPerChunk(64, 8), std::vector<int>(8, 8));
  EXPECT_EQ(layersPerChunk(10, 4), (std::vector<int>{3, 3, 2, 2}));
  EXPECT_EQ(layersPerChunk(4, 4), std::vector<int>(4, 1));
  EXPECT_TRUE(layersPerChunk(3, 4).empty());
  EXPECT_TRUE(layersPerChunk(3, 0).empty());

  // Uneven chunks scale with their layers; messages do not.
  ModelShape m = llama70b();
  m.layers = 8; // 10 slots over 4 chunks: 3, 3, 2, 2.
  std::vector<ChunkCost> chunks = estimateChunks(m, tp4(), 4, 8);
  ASSERT_EQ(chunks.size(), 4u);
  LayerCost layer = estimateLayer(m, tp4());
  EXPECT_NEAR(chunks[0].forwardMs, 3 * layer.forwardMs, 1e-9);
  EXPECT_NEAR(chunks[3].wgradMs, 2 * layer.wgradMs, 1e-9);
  EXPECT_EQ(chunks[1].activationBytes, 3 * layer.activationBytes);
  EXPECT_EQ(chunks[2].gradientBytes, 2 * layer.gradientBytes);
  for (const ChunkCost &c : chunks)
    EXPECT_EQ(c.messageBytes, 8 * 64 * kMiB);
  EXPECT_TRUE(estimateChunks(m, tp4(), 11).empty());
}

TEST(CostModel, RoundsTensorParallelSharesUp) {
  // 3 GPUs split 24 heads (8 KV heads of 4: K and V are 32 wide). The split
  // activations per token, (2 x 96 + 2 x 32 + 3 x 100) x 2 B = 1112 B, do
  // not divide by 3: the largest shard, 371 B, counts. The weights,
  // 2 x 96^2 + 2 x 96 x 32 + 3 x 96 x 100 = 53376, shard to 17792 per GPU.
  ModelShape m;
  m.hidden = 96;
  m.ffnHidden = 100;
  m.layers = 2;
  m.heads = 24;
  m.kvHeads = 8;
  m.vocab = 10;
  m.sequence = 5;
  HardwareSpec hw;
  hw.peakTflops = 1;
  hw.tensorParallel = 3;
  LayerCost layer = estimateLayer(m, hw);
  EXPECT_EQ(layer.activationBytes, 5u * (4 * 96 * 2 + 371));
  EXPECT_EQ(layer.gradientBytes, 17792u * 2);
}

TEST(CostModel, RejectsShapesThatCannotBeSplit) {
  HardwareSpec hw = tp4();
  ModelShape m = llama70b();
  m.heads = 60;
  EXPECT_EQ(*checkCostInputs(m, hw),
            "the hidden size 8192 is not a multiple of the 60 attention heads");
  m = llama70b();
  m.kvHeads = 6;
  EXPECT_EQ(*checkCostInputs(m, hw),
            "the 64 attention heads are not a multiple of the 6 key/value "
            "heads");
  m = llama70b();
  hw.tensorParallel = 3;
  EXPECT_EQ(*checkCostInputs(m, hw),
            "tensor parallelism of 3 does not divide the 64 attention heads");
  hw = tp4(1000, 1.5);
  EXPECT_EQ(*checkCostInputs(m, hw), "the efficiency must be in (0, 1]");
  hw = tp4(0);
  EXPECT_EQ(*checkCostInputs(m, hw), "the peak TFLOP/s must be positive");
  m.sequence = 0;
  EXPECT_EQ(*checkCostInputs(m, tp4()), "every model size must be positive");
  EXPECT_TRUE(estimateChunks(m, tp4(), 8).empty());
}

} // namespace
