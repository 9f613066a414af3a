//===- ProblemModelTest.cpp - Stages derived from "model" and "hardware" --===//
//
// The "model" + "hardware" sections must read into the chunks the cost
// model derives (checked against hand-computed numbers for the paper's M70,
// which equal the hand-written examples/m70-2dc.json's sizes), honour the
// placement, data parallelism and the per-datacenter fields, and reject
// every unusable shape with one message at the offending field.
//
//===----------------------------------------------------------------------===//

#include "ImportTestUtil.h"

using namespace crosspipe;
using namespace crosspipe::sched;
using namespace crosspipe::test;

namespace {

/// The README's contract example with costs from the M70 shape. Placements
/// with several chunks per device get 3x 1F1B's relative budget so that a
/// device can hold one microbatch of all its chunks (see the README).
std::string modelDoc(const std::string &placement = "unidirectional",
                     const std::string &extraModel = "") {
  return R"({
  "name": "m70-model",
  "microbatches": 16,
  "datacenters": [{"name": "east", "devices": 4}, {"name": "west", "devices": 4}],
  "network": {
    "intra_dc": {"latency_ms": 0.01, "bandwidth_gbps": 200},
    "links": [{"between": ["east", "west"], "latency_ms": 20, "bandwidth_gbps": 100}]
  },
  "placement": ")" +
         placement + R"(",
  "split_backward": true,
  "model": {"hidden_size": 8192, "ffn_hidden_size": 28672, "layers": 62,
            "attention_heads": 64, "kv_heads": 8, "vocab_size": 128256,
            "sequence_length": 4096, "microbatch_size": 1)" +
         extraModel + R"(},
  "hardware": {"peak_tflops": 1000, "efficiency": 0.5, "tensor_parallel": 4},
  "memory": {"relative_to_1f1b": )" +
         std::string(placement == "unidirectional" ? "1.0" : "3.0") + R"(},
  "data_parallel": {"degree": 1, "span": "intra_dc"}
}
)";
}

std::string edit(const std::string &from, const std::string &to, int n = 0) {
  return replaceNth(modelDoc(), from, to, n);
}

// Per layer slot at 1000 TFLOP/s x 0.5 x TP4 = 2e12 FLOP/ms (see
// CostModelTest): F 3.77957122048 ms, D 4.054449127424 ms, W 3.504693313536
// ms; 117760 B x 4096 tokens of activations, 427819008 B of gradients.
constexpr double kLayerF = 3.77957122048, kLayerD = 4.054449127424,
                 kLayerW = 3.504693313536;

TEST(ProblemModel, M70FromItsShape) {
  std::string text = modelDoc();
  Problem p = parseOk(text);
  ASSERT_EQ(p.numChunks(), 8);
  EXPECT_EQ(p.placement, Placement::Unidirectional);
  for (int c = 0; c < 8; ++c) {
    const Chunk &chunk = p.chunks[c];
    EXPECT_EQ(chunk.device, c);
    // 64 slots over 8 stages.
    EXPECT_NEAR(chunk.forwardMs, 8 * kLayerF, 1e-9);
    EXPECT_NEAR(chunk.dgradMs, 8 * kLayerD, 1e-9);
    EXPECT_NEAR(chunk.wgradMs, 8 * kLayerW, 1e-9);
    EXPECT_NEAR(chunk.backwardMs, 8 * (kLayerD + kLayerW), 1e-9);
    EXPECT_EQ(chunk.activationBytes, 3680 * kMiB);
    EXPECT_EQ(chunk.gradientBytes, 3264 * kMiB);
    EXPECT_EQ(chunk.messageBytes, c < 7 ? 64 * kMiB : 0);
    EXPECT_EQ(at(chunk.loc), where(text, "{\"hidden_size\""));
  }
  // Memory relative to 1F1B works on the derived activations.
  EXPECT_EQ(p.memoryLimit(0), 8 * 3680 * kMiB);
  EXPECT_EQ(p.memoryLimit(7), 3680 * kMiB);
}

// W needs the inputs of the weight matmuls: per token 2 x 8192 replicated
// and (8192 + 28672) / 4 split bf16 elements, 51200 B; x 4096 tokens x 8
// slots = 1600 MiB of the 3680 MiB, held from D to W.
TEST(ProblemModel, WgradActivationFromTheShape) {
  Problem p = parseOk(modelDoc());
  for (const Chunk &chunk : p.chunks) {
    ASSERT_TRUE(chunk.wgradActivationBytes.has_value());
    EXPECT_EQ(*chunk.wgradActivationBytes, 1600 * kMiB);
  }
  // Fused backward has no W: B releases everything.
  Problem fused = parseOk(replaceNth(modelDoc(), "\"split_backward\": true",
                                     "\"split_backward\": false"));
  EXPECT_FALSE(fused.chunks[0].wgradActivationBytes.has_value());
}

// The budget device memory leaves, from the shape: per GPU 3264 MiB of bf16
// weights (1632 Mi parameters), as much gradient, and 12 bytes of optimizer
// state per parameter, 19584 MiB; ZeRO-1 over 4 replicas shards that to
// 4896 MiB. 96 GiB less 3264 + 3264 + 4896 + 2048 reserved
// leaves 84832 MiB.
TEST(ProblemModel, DeviceMemoryBudget) {
  std::string text = replaceNth(
      replaceNth(replaceNth(modelDoc(), "\"relative_to_1f1b\": 1.0",
                            "\"device_memory\": {\"zero_stage\": 1, "
                            "\"reserved_gib\": 2}"),
                 "\"tensor_parallel\": 4}",
                 "\"tensor_parallel\": 4, \"device_memory_gib\": 96}"),
      "\"degree\": 1", "\"degree\": 4");
  Problem p = parseOk(text);
  ASSERT_EQ(p.staticMemory.size(), 8u);
  for (int d = 0; d < 8; ++d) {
    const StaticMemory &fixed = p.staticMemory[d];
    EXPECT_EQ(fixed.weightBytes, 3264 * kMiB);
    EXPECT_EQ(fixed.gradientBytes, 3264 * kMiB);
    EXPECT_EQ(fixed.optimizerBytes, 4896 * kMiB);
    EXPECT_EQ(fixed.reservedBytes, 2048 * kMiB);
    EXPECT_EQ(p.memoryLimit(d), 84832 * kMiB);
  }
  // ZeRO-3 shards weights and gradients too: 816 + 816 + 4896 + 2048.
  Problem z3 =
      parseOk(replaceNth(text, "\"zero_stage\": 1", "\"zero_stage\": 3"));
  EXPECT_EQ(z3.memoryLimit(0), (96 * 1024 - 816 - 816 - 4896 - 2048) * kMiB);
}

TEST(ProblemModel, BundledExampleAgreesWithTheHandWrittenOne) {
  Problem derived = parseOk(readExample("m70-2dc-model.json"));
  Problem written = parseOk(readExample("m70-2dc.json"));
  ASSERT_EQ(derived.numChunks(), written.numChunks());
  for (int c = 0; c < derived.numChunks(); ++c) {
    EXPECT_EQ(derived.chunks[c].activationBytes,
              written.chunks[c].activationBytes);
    EXPECT_EQ(derived.chunks[c].messageBytes, written.chunks[c].messageBytes);
    // The paper's T_F = 38 ms at 40% of 989 TFLOP/s.
    EXPECT_NEAR(derived.chunks[c].forwardMs, written.chunks[c].forwardMs, 0.5);
  }
  EXPECT_EQ(derived.datacenters[0].deviceMemoryBytes,
            written.datacenters[0].deviceMemoryBytes);
}

TEST(ProblemModel, PlacementsCutTheModelIntoMoreChunks) {
  // Wave: 16 chunks by default, 4 slots each, V-shaped over 8 devices.
  Problem wave = parseOk(modelDoc("wave"));
  ASSERT_EQ(wave.numChunks(), 16);
  EXPECT_EQ(wave.chunks[8].device, 7);
  EXPECT_EQ(wave.chunks[15].device, 0);
  EXPECT_NEAR(wave.chunks[3].forwardMs, 4 * kLayerF, 1e-9);
  EXPECT_EQ(wave.chunks[3].activationBytes, 1840 * kMiB);
  EXPECT_EQ(wave.chunks[3].messageBytes, 64 * kMiB);

  // Interleaved needs the count; 24 chunks of 64 slots: 16 x 3 then 8 x 2.
  Problem loop = parseOk(modelDoc("interleaved", ", \"chunks\": 24"));
  ASSERT_EQ(loop.numChunks(), 24);
  EXPECT_EQ(loop.chunks[9].device, 1);
  EXPECT_NEAR(loop.chunks[15].forwardMs, 3 * kLayerF, 1e-9);
  EXPECT_NEAR(loop.chunks[16].forwardMs, 2 * kLayerF, 1e-9);
  EXPECT_EQ(loop.chunks[16].gradientBytes, 2 * 427819008u);
}

TEST(ProblemModel, ShapeOptions) {
  // Without embedding slots 62 layers split 8, 8, 8, 8, 8, 8, 7, 7.
  Problem p = parseOk(modelDoc("unidirectional",
                               ", \"embedding_as_layers\": false, "
                               "\"dtype\": \"fp32\", \"gated_mlp\": false"));
  EXPECT_EQ(p.chunks[5].gradientBytes, p.chunks[0].gradientBytes);
  EXPECT_EQ(p.chunks[6].gradientBytes * 8, p.chunks[0].gradientBytes * 7);
  // fp32 doubles the message; a two-matrix MLP of 28672 has 2 x 8192^2 +
  // 2 x 8192 x 1024 + 2 x 8192 x 28672 weights, / 4 GPUs, x 4 B, x 8 slots.
  EXPECT_EQ(p.chunks[0].messageBytes, 128 * kMiB);
  EXPECT_EQ(p.chunks[0].gradientBytes,
            uint64_t(2 * 8192 * 8192 + 2 * 8192 * 1024 + 2 * 8192 * 28672) / 4 *
                4 * 8);
}

TEST(ProblemModel, DataParallelReplicasShareTheLinks) {
  // Four replicas send their activations over the same links at once.
  std::string four = edit("\"degree\": 1", "\"degree\": 4");
  Problem shared = parseOk(four);
  EXPECT_EQ(shared.dpDegree, 4);
  EXPECT_EQ(shared.chunks[0].messageBytes, 4 * 64 * kMiB);
  // Gradients need no gradient_mib: they are derived too.
  EXPECT_EQ(shared.chunks[0].gradientBytes, 3264 * kMiB);
  Problem apart = parseOk(
      replaceNth(four, "\"span\": \"intra_dc\"",
                 "\"span\": \"intra_dc\", \"replicas_share_links\": false"));
  EXPECT_EQ(apart.chunks[0].messageBytes, 64 * kMiB);
}

// "recompute" in the model: every chunk keeps the hidden states it
// receives, b * s * d = 4096 x 8192 bf16 = 64 MiB, also when four replicas
// share the links (which scales only the message).
TEST(ProblemModel, RecomputeKeepsTheInputHiddenStates) {
  Problem p = parseOk(modelDoc("unidirectional", R"(, "recompute": true)"));
  for (const Chunk &chunk : p.chunks) {
    EXPECT_TRUE(chunk.recompute);
    ASSERT_TRUE(chunk.checkpointBytes.has_value());
    EXPECT_EQ(*chunk.checkpointBytes, 64 * kMiB);
  }
  Problem shared =
      parseOk(replaceNth(modelDoc("unidirectional", R"(, "recompute": true)"),
                         "\"degree\": 1", "\"degree\": 4"));
  EXPECT_EQ(shared.chunks[0].messageBytes, 4 * 64 * kMiB);
  EXPECT_EQ(*shared.chunks[0].checkpointBytes, 64 * kMiB);
  Problem plain = parseOk(modelDoc());
  EXPECT_FALSE(plain.chunks[0].recompute);
  EXPECT_FALSE(plain.chunks[0].checkpointBytes.has_value());
}

TEST(ProblemModel, DeviceMemoryFillsDatacentersWithoutTheirOwn) {
  std::string text = replaceNth(
      replaceNth(modelDoc(), "\"tensor_parallel\": 4",
                 "\"tensor_parallel\": 4, \"device_memory_gib\": 80"),
      "{\"name\": \"west\", \"devices\": 4}",
      "{\"name\": \"west\", \"devices\": 4, \"device_memory_gib\": 96}");
  Problem p = parseOk(text);
  EXPECT_EQ(p.datacenters[0].deviceMemoryBytes, uint64_t(80) << 30);
  EXPECT_EQ(p.datacenters[1].deviceMemoryBytes, uint64_t(96) << 30);
}

TEST(ProblemModelErrors, SectionsThatDoNotGoTogether) {
  std::string stages = "  \"stages\": [{\"forward_ms\": 1}],\n  \"model\"";
  expectError(edit("  \"model\"", stages),
              "model: give either 'stages' (explicit costs) or 'model' and "
              "'hardware' (costs derived from the model's shape), not both",
              "/model", "{\"hidden_size\"");
  std::string noHardware =
      edit("  \"hardware\": {\"peak_tflops\": 1000, \"efficiency\": 0.5, "
           "\"tensor_parallel\": 4},\n",
           "");
  expectError(noHardware,
              "missing required field 'hardware' ('model' needs it to turn "
              "FLOPs into time)",
              "", "{");
  std::string noModel = modelDoc();
  noModel.erase(noModel.find("  \"model\""),
                noModel.find("  \"hardware\"") - noModel.find("  \"model\""));
  expectError(noModel,
              "hardware: is only used with 'model'; give 'model' too, or "
              "remove it",
              "/hardware", "{\"peak_tflops\"");
  std::string neither = noModel.erase(noModel.find("  \"hardware\""),
                                      noModel.find("  \"memory\"") -
                                          noModel.find("  \"hardware\""));
  expectError(neither,
              "missing required field 'stages' (or give 'model' and "
              "'hardware')",
              "", "{");
  std::string explicitStages =
      replaceNth(contractDoc(), "\"span\": \"intra_dc\"",
                 "\"span\": \"intra_dc\", \"replicas_share_links\": true");
  expectError(explicitStages,
              "data_parallel.replicas_share_links: only applies to message "
              "sizes derived from 'model'",
              "/data_parallel/replicas_share_links", "true}");
  expectError(
      edit("\"placement\": \"unidirectional\"", "\"placement\": \"custom\""),
      "model: custom placement needs explicit 'stages', each with its "
      "'device'",
      "/model", "{\"hidden_size\"");
}

TEST(ProblemModelErrors, FieldsAndShapes) {
  expectError(edit("\"hidden_size\"", "\"hiden_size\""),
              "model: unknown field 'hiden_size' (did you mean "
              "'hidden_size'?)",
              "/model/hiden_size", "\"hiden_size\"");
  expectError(edit("\"peak_tflops\"", "\"peak_tflop\""),
              "hardware: unknown field 'peak_tflop' (did you mean "
              "'peak_tflops'?)",
              "/hardware/peak_tflop", "\"peak_tflop\"");
  expectError(edit("\"attention_heads\": 64", "\"attention_heads\": 60"),
              "model.attention_heads: must divide hidden_size 8192, got 60",
              "/model/attention_heads", "60");
  expectError(edit("\"kv_heads\": 8", "\"kv_heads\": 6"),
              "model.kv_heads: must divide attention_heads 64, got 6",
              "/model/kv_heads", "6, \"vocab_size\"");
  expectError(edit("\"tensor_parallel\": 4", "\"tensor_parallel\": 3"),
              "hardware.tensor_parallel: must divide the 64 attention_heads "
              "(every GPU holds whole heads), got 3",
              "/hardware/tensor_parallel", "3}");
  expectError(edit("\"efficiency\": 0.5", "\"efficiency\": 1.5"),
              "hardware.efficiency: must be at most 1, got 1.5",
              "/hardware/efficiency", "1.5");
  expectError(edit("\"peak_tflops\": 1000", "\"peak_tflops\": 0"),
              "hardware.peak_tflops: expected a positive number, got 0",
              "/hardware/peak_tflops", "0, \"efficiency\"");
  expectError(edit("\"layers\": 62", "\"layers\": 6.5"),
              "model.layers: expected a positive integer, got 6.5",
              "/model/layers", "6.5");
  expectError(edit("\"microbatch_size\": 1", "\"microbatch_size\": 8192"),
              "model.microbatch_size: microbatch_size x sequence_length must "
              "be at most 16777216 tokens, got 33554432",
              "/model/microbatch_size", "8192}");
  expectError(edit("\"microbatch_size\": 1",
                   "\"microbatch_size\": 1, \"dtype\": \"bf61\""),
              "model.dtype: unknown dtype 'bf61' (did you mean 'bf16'?); "
              "expected 'bf16', 'fp16' or 'fp32'",
              "/model/dtype", "\"bf61\"");
}

TEST(ProblemModelErrors, ChunkCounts) {
  expectError(
      edit("\"microbatch_size\": 1", "\"microbatch_size\": 1, \"chunks\": 6"),
      "model.chunks: unidirectional placement needs 8 chunks (one per "
      "device), got 6",
      "/model/chunks", "6}");
  expectError(modelDoc("wave", ", \"chunks\": 8"),
              "model.chunks: wave placement needs a multiple of 16 chunks "
              "(down and back up over 8 devices), got 8",
              "/model/chunks", "8}");
  expectError(modelDoc("interleaved"),
              "model: missing required field 'chunks' (interleaved placement "
              "needs a multiple of 8)",
              "/model", "{\"hidden_size\"");
  expectError(edit("\"layers\": 62", "\"layers\": 4"),
              "model: 6 layer slots (4 layers + embedding and output layer) "
              "cannot fill 8 chunks",
              "/model", "{\"hidden_size\"");
  expectError(modelDoc("interleaved", ", \"chunks\": 72"),
              "model.chunks: 64 layer slots (62 layers + embedding and output "
              "layer) cannot fill 72 chunks",
              "/model/chunks", "72}");
}

TEST(ProblemModelErrors, DerivedSizesRespectTheLimits) {
  // A million replicas sharing the link: 64 MiB each.
  expectError(edit("\"degree\": 1", "\"degree\": 1000000"),
              "model: gives chunks a message of 64000000 MiB, above the limit "
              "of 1048576 MiB",
              "/model", "{\"hidden_size\"");
  expectError(edit("\"peak_tflops\": 1000", "\"peak_tflops\": 1e-9"),
              "hardware: gives chunks a block of 3.243559302e+13 ms, above the "
              "limit of 1000000000 ms",
              "/hardware", "{\"peak_tflops\"");
}

} // namespace
