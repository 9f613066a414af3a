//===- ProblemModel.cpp - Stages derived from a model's shape -------------===//
//
// The "model" and "hardware" sections, the alternative to explicit "stages":
// a transformer's shape and the GPUs it runs on, turned into per-chunk F, D
// and W times, activation, message and gradient sizes by the cost model
// (crosspipe/Schedule/CostModel.h). Errors point at the field that makes the
// shape unusable (heads that do not divide the width, a tensor-parallel
// degree that does not divide the heads, more chunks than layers) rather
// than at the derived numbers.
//
//===----------------------------------------------------------------------===//

#include "ProblemReader.h"

#include "crosspipe/Schedule/CostModel.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe;
using namespace crosspipe::json_detail;
using namespace crosspipe::sched;

int ProblemReader::modelChunkCount(const Node &model) {
  int numDevices = p.numDevices();
  std::string devices = std::to_string(numDevices);
  if (placementName == "custom")
    model.fail("custom placement needs explicit 'stages', each with its "
               "'device'");
  std::optional<Node> chunks = model.get("chunks");
  if (!chunks) {
    if (placementName == "interleaved")
      model.required("chunks",
                     "interleaved placement needs a multiple of " + devices);
    return placementName == "wave" ? 2 * numDevices : numDevices;
  }
  int64_t n = chunks->integer(1, kMaxModelLayers + 2);
  std::string count = std::to_string(n);
  if (placementName == "unidirectional" && n != numDevices)
    chunks->fail("unidirectional placement needs " + devices +
                 " chunks (one per device), got " + count);
  if (placementName == "interleaved" && n % numDevices != 0)
    chunks->fail("interleaved placement needs a multiple of " + devices +
                 " chunks (the same number on every device), got " + count);
  if (placementName == "wave" && n % (2 * numDevices) != 0)
    chunks->fail("wave placement needs a multiple of " +
                 std::to_string(2 * numDevices) +
                 " chunks (down and back up over " + devices +
                 " devices), got " + count);
  return int(n);
}

namespace {

/// A width (hidden size, heads, tensor-parallel degree), bounded so that
/// every derived size stays exact.
int64_t width(const Node &node) { return node.integer(1, kMaxModelWidth); }

/// The transformer's shape from "model"; each field checked where it is.
ModelShape readShape(const Node &model) {
  ModelShape m;
  m.hidden = width(model.required("hidden_size"));
  m.ffnHidden = width(model.required("ffn_hidden_size"));
  m.layers = model.required("layers").integer(1, kMaxModelLayers);
  Node heads = model.required("attention_heads");
  m.heads = width(heads);
  if (m.hidden % m.heads != 0)
    heads.fail("must divide hidden_size " + std::to_string(m.hidden) +
               ", got " + std::to_string(m.heads));
  m.kvHeads = m.heads;
  if (auto kv = model.get("kv_heads")) {
    m.kvHeads = width(*kv);
    if (m.heads % m.kvHeads != 0)
      kv->fail("must divide attention_heads " + std::to_string(m.heads) +
               ", got " + std::to_string(m.kvHeads));
  }
  m.vocab = model.required("vocab_size").integer(1, kMaxVocab);
  Node sequence = model.required("sequence_length");
  m.sequence = sequence.integer(1, kMaxTokens);
  if (auto mb = model.get("microbatch_size")) {
    m.microbatchSize = mb->integer(1, kMaxTokens);
    if (m.microbatchSize * m.sequence > kMaxTokens)
      mb->fail("microbatch_size x sequence_length must be at most " +
               std::to_string(kMaxTokens) + " tokens, got " +
               std::to_string(m.microbatchSize * m.sequence));
  }
  if (auto dtype = model.get("dtype"))
    m.bytesPerElement =
        dtype->oneOf("dtype", {"bf16", "fp16", "fp32"}) == "fp32" ? 4 : 2;
  if (auto gated = model.get("gated_mlp"))
    m.gatedMlp = gated->boolean();
  if (auto embedding = model.get("embedding_as_layers"))
    m.embeddingAsLayers = embedding->boolean();
  return m;
}

/// The GPUs from "hardware". Its "device_memory_gib" fills the datacenters
/// of `p` that give none.
HardwareSpec readHardware(const Node &hardware, const ModelShape &m,
                          Problem &p) {
  HardwareSpec hw;
  hw.peakTflops = hardware.required("peak_tflops").number(true, kMaxTflops);
  if (auto efficiency = hardware.get("efficiency"))
    hw.efficiency = efficiency->number(true, 1);
  if (auto tp = hardware.get("tensor_parallel")) {
    hw.tensorParallel = int(width(*tp));
    if (m.heads % hw.tensorParallel != 0)
      tp->fail("must divide the " + std::to_string(m.heads) +
               " attention_heads (every GPU holds whole heads), got " +
               std::to_string(hw.tensorParallel));
  }
  if (auto memory = hardware.get("device_memory_gib")) {
    // Informational, like the per-datacenter field, which wins.
    auto bytes = uint64_t(
        std::llround(memory->number(/*positive=*/true, kMaxDeviceMemoryGiB) *
                     double(uint64_t(1) << 30)));
    for (Datacenter &dc : p.datacenters)
      if (dc.deviceMemoryBytes == 0)
        dc.deviceMemoryBytes = bytes;
  }
  return hw;
}

/// The derived sizes must respect the limits of explicit stages; checked in
/// floating point first so that nothing wraps around. The largest chunk
/// holds `most` layers; messages are shared by `sharing` replicas.
void checkDerivedSizes(const Node &model, const Node &hardware,
                       const ModelShape &m, const HardwareSpec &hw, double most,
                       int sharing) {
  LayerCost layer = estimateLayer(m, hw);
  double limitBytes = kMaxChunkMiB * double(kMiB);
  auto tooLarge = [&](const char *what, double bytes) {
    if (bytes > limitBytes)
      model.fail("gives chunks a " + std::string(what) + " of " +
                 formatNumber(bytes / double(kMiB)) +
                 " MiB, above the limit of " + formatNumber(kMaxChunkMiB) +
                 " MiB");
  };
  tooLarge("per-microbatch activation", double(layer.activationBytes) * most);
  tooLarge("gradient", double(layer.gradientBytes) * most);
  tooLarge("message", double(m.microbatchSize) * double(m.sequence) *
                          double(m.hidden) * m.bytesPerElement * sharing);
  double slowest =
      std::max({layer.forwardMs, layer.dgradMs, layer.wgradMs}) * most;
  if (slowest > kMaxMs)
    hardware.fail("gives chunks a block of " + formatNumber(slowest) +
                  " ms, above the limit of " + formatNumber(kMaxMs) + " ms");
}

} // namespace

void ProblemReader::readModel(const Node &model) {
  model.expectObject(
      {"hidden_size", "ffn_hidden_size", "layers", "attention_heads",
       "kv_heads", "vocab_size", "sequence_length", "microbatch_size", "dtype",
       "gated_mlp", "embedding_as_layers", "chunks", "recompute"});
  Node hardware =
      root.required("hardware", "'model' needs it to turn FLOPs into time");
  hardware.expectObject(
      {"peak_tflops", "efficiency", "tensor_parallel", "device_memory_gib"});

  ModelShape m = readShape(model);
  modelGiven = true;
  parameterElementBytes = m.bytesPerElement;
  HardwareSpec hw = readHardware(hardware, m, p);
  // Everything checkCostInputs() rejects was reported at its field above.
  if (auto why = checkCostInputs(m, hw))
    model.fail(*why);

  bool recompute = false;
  if (auto flag = model.get("recompute"))
    recompute = flag->boolean();
  int n = modelChunkCount(model);
  std::optional<Node> chunksNode = model.get("chunks");
  int64_t slots = layerSlots(m);
  if (slots < n)
    (chunksNode ? *chunksNode : model)
        .fail(std::to_string(slots) + " layer slots (" +
              std::to_string(m.layers) + " layers" +
              (m.embeddingAsLayers ? " + embedding and output layer" : "") +
              ") cannot fill " + std::to_string(n) + " chunks");
  int sharing = replicasShareLinks ? p.dpDegree : 1;
  checkDerivedSizes(model, hardware, m, hw,
                    double(layersPerChunk(slots, n).front()), sharing);

  std::vector<ChunkCost> costs = estimateChunks(m, hw, n, sharing);
  deviceOverride.assign(n, std::nullopt);
  for (int i = 0; i < n; ++i) {
    const ChunkCost &cost = costs[i];
    Chunk c;
    c.loc = model.loc();
    c.forwardMs = cost.forwardMs;
    c.dgradMs = cost.dgradMs;
    c.wgradMs = cost.wgradMs;
    c.backwardMs = cost.dgradMs + cost.wgradMs;
    c.activationBytes = cost.activationBytes;
    if (p.splitBackward)
      c.wgradActivationBytes = cost.wgradActivationBytes;
    // As with explicit stages, the last chunk's message goes nowhere.
    c.messageBytes = i + 1 < n ? cost.messageBytes : 0;
    c.gradientBytes = cost.gradientBytes;
    // Every chunk recomputes from the hidden states it received.
    if (recompute) {
      c.recompute = true;
      c.checkpointBytes = std::min(cost.inputBytes, cost.activationBytes);
    }
    p.chunks.push_back(c);
  }
  placeStages(model);
  checkPipelineLinks();
}
