//===- ProblemStages.cpp - Stages and cross-field checks of the JSON -----===//
//
// Reads the model stages and then checks the invariants that span fields:
// stage count against placement, device overrides, links the pipeline and
// the DP all-reduce need, and a memory budget that must hold one microbatch.
// The later IR verifiers check the same invariants on IR; here the messages
// can point at the JSON.
//
//===----------------------------------------------------------------------===//

#include "ProblemReader.h"

#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/MemoryBudget.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe;
using namespace crosspipe::json_detail;
using namespace crosspipe::sched;

namespace {

std::string mib(uint64_t bytes) { return formatNumber(double(bytes) / kMiB); }

/// "stage 3", "stages 7, 15", or the first eight and a count for long lists.
std::string stageList(const std::vector<int> &stages) {
  constexpr std::size_t kShown = 8;
  std::string out = stages.size() == 1 ? "stage " : "stages ";
  for (std::size_t i = 0; i < stages.size() && i < kShown; ++i)
    out += (i ? ", " : "") + std::to_string(stages[i]);
  if (stages.size() > kShown)
    out += ", ... (" + std::to_string(stages.size()) + " in all)";
  return out;
}

/// A block time in ms.
double blockMs(const Node &node) {
  return node.number(/*positive=*/true, kMaxMs);
}

/// backward_ms, dgrad_ms and wgrad_ms given together must agree; a relative
/// difference this small is rounding in the file's decimal digits.
constexpr double kBackwardTolerance = 1e-6;

/// The backward times: B, or D and W (B = D + W), per split_backward.
void readBackward(const Node &stage, bool split, Chunk &c) {
  std::optional<Node> dgrad = stage.get("dgrad_ms"),
                      wgrad = stage.get("wgrad_ms");
  std::optional<Node> backward = stage.get("backward_ms");
  if (split) {
    c.dgradMs = blockMs(stage.required("dgrad_ms", "split_backward is true"));
    c.wgradMs = blockMs(stage.required("wgrad_ms", "split_backward is true"));
    // Kept consistent so that unsplit baselines can run on split problems.
    c.backwardMs = backward ? blockMs(*backward) : c.dgradMs + c.wgradMs;
  } else if (dgrad && wgrad && !backward) {
    // A file written for split backward stays usable with the flag off.
    c.dgradMs = blockMs(*dgrad);
    c.wgradMs = blockMs(*wgrad);
    c.backwardMs = c.dgradMs + c.wgradMs;
  } else {
    c.backwardMs = blockMs(stage.required(
        "backward_ms",
        "split_backward is false; or give dgrad_ms and wgrad_ms"));
    if (dgrad)
      c.dgradMs = blockMs(*dgrad);
    if (wgrad)
      c.wgradMs = blockMs(*wgrad);
  }
  if (!backward || !dgrad || !wgrad)
    return;
  double sum = c.dgradMs + c.wgradMs;
  if (std::abs(c.backwardMs - sum) > kBackwardTolerance * sum)
    backward->fail("backward_ms " + formatNumber(c.backwardMs) +
                   " contradicts dgrad_ms + wgrad_ms = " + formatNumber(sum) +
                   "; give their sum, or omit backward_ms");
}

} // namespace

Chunk ProblemReader::readStage(const Node &stage, int index, int numStages) {
  stage.expectObject({"forward_ms", "backward_ms", "dgrad_ms", "wgrad_ms",
                      "activation_mib", "wgrad_activation_mib", "message_mib",
                      "gradient_mib", "device", "recompute", "checkpoint_mib"});
  Chunk c;
  c.loc = stage.loc();
  c.forwardMs = blockMs(stage.required("forward_ms"));
  readBackward(stage, p.splitBackward, c);
  c.activationBytes = stage.required("activation_mib").mebibytes(kMaxChunkMiB);
  if (auto held = stage.get("wgrad_activation_mib")) {
    // Read, and checked, in either mode; only split backward has a W.
    uint64_t bytes = held->mebibytes(kMaxChunkMiB);
    if (bytes > c.activationBytes)
      held->fail("what W keeps (" + mib(bytes) +
                 " MiB) cannot exceed the stage's activation_mib (" +
                 mib(c.activationBytes) + " MiB)");
    if (p.splitBackward)
      c.wgradActivationBytes = bytes;
  }
  if (auto recompute = stage.get("recompute"))
    c.recompute = recompute->boolean();
  if (auto kept = stage.get("checkpoint_mib")) {
    uint64_t bytes = kept->mebibytes(kMaxChunkMiB);
    if (!c.recompute)
      kept->fail("a checkpoint needs \"recompute\": true (without "
                 "recomputation the forward keeps the whole activation)");
    if (bytes > c.activationBytes)
      kept->fail("the checkpoint (" + mib(bytes) +
                 " MiB) cannot exceed the stage's activation_mib (" +
                 mib(c.activationBytes) + " MiB)");
    c.checkpointBytes = bytes;
  }
  bool last = index + 1 == numStages;
  if (!last) {
    c.messageBytes =
        stage
            .required("message_mib", "the activation sent to stages[" +
                                         std::to_string(index + 1) + "]")
            .mebibytes(kMaxChunkMiB);
  } else if (auto message = stage.get("message_mib")) {
    // Stages are often written alike; the last one's message goes nowhere.
    message->mebibytes(kMaxChunkMiB);
  }
  gradientGiven.push_back(stage.get("gradient_mib").has_value());
  if (p.dpDegree > 1)
    c.gradientBytes =
        stage
            .required("gradient_mib",
                      "data_parallel degree is " + std::to_string(p.dpDegree))
            .mebibytes(kMaxChunkMiB);
  else if (auto gradient = stage.get("gradient_mib"))
    c.gradientBytes = gradient->mebibytes(kMaxChunkMiB);
  if (auto device = stage.get("device")) {
    int numDevices = p.numDevices();
    const json &v = device->raw();
    bool inRange =
        v.is_number_integer() &&
        (v.is_number_unsigned()
             ? v.get<uint64_t>() < uint64_t(numDevices)
             : v.get<int64_t>() >= 0 && v.get<int64_t>() < numDevices);
    if (!inRange)
      device->fail("expected a device index from 0 to " +
                   std::to_string(numDevices - 1) + ", got " + describe(v));
    deviceOverride[index] = int(v.get<int64_t>());
  }
  return c;
}

void ProblemReader::readStages() {
  Node stages = root.required("stages", "or give 'model' and 'hardware'");
  std::size_t size = stages.expectArray(1);
  if (size > std::size_t(kMaxStages))
    stages.fail("more than " + std::to_string(kMaxStages) +
                " stages are not supported, got " + std::to_string(size));
  int n = int(size);
  deviceOverride.assign(n, std::nullopt);
  for (int i = 0; i < n; ++i)
    p.chunks.push_back(readStage(stages.at(i), i, n));
  placeStages(stages);
  checkPipelineLinks();
}

void ProblemReader::placeStages(const Node &stages) {
  int n = p.numChunks(), numDevices = p.numDevices();
  std::string count = std::to_string(n);
  std::string devices = std::to_string(numDevices);
  Placement rule = Placement::Unidirectional;
  if (placementName == "interleaved")
    rule = Placement::Interleaved;
  else if (placementName == "wave")
    rule = Placement::Wave;
  else if (placementName == "custom")
    rule = Placement::Custom;
  // A "device" that agrees with the rule changes nothing; one that deviates
  // makes the placement Custom and lifts the rule's stage count.
  bool deviates = false;
  for (int i = 0; i < n; ++i)
    deviates |= deviceOverride[i].has_value() &&
                *deviceOverride[i] != Problem::placeChunk(rule, i, numDevices);

  if (rule == Placement::Custom) {
    for (int i = 0; i < n; ++i)
      if (!deviceOverride[i])
        stages.at(i).required("device", "placement is custom");
  } else if (!deviates) {
    if (rule == Placement::Unidirectional && n != numDevices)
      stages.fail("unidirectional placement needs " + devices +
                  " stages (one per device), got " + count);
    if (rule == Placement::Interleaved && n % numDevices != 0)
      stages.fail("interleaved placement needs a multiple of " + devices +
                  " stages (the same number on every device), got " + count);
    if (rule == Placement::Wave && n % (2 * numDevices) != 0)
      stages.fail("wave placement needs a multiple of " +
                  std::to_string(2 * numDevices) +
                  " stages (down and back up over " + devices +
                  " devices), got " + count);
  }
  // Stages without "device" follow the declared rule.
  for (int i = 0; i < n; ++i) {
    int device = deviceOverride[i] ? *deviceOverride[i]
                                   : Problem::placeChunk(rule, i, numDevices);
    if (device >= numDevices)
      stages.at(i).fail("unidirectional placement puts stage " +
                        std::to_string(i) + " on device " + std::to_string(i) +
                        ", but there are only " + devices +
                        " devices; give it a 'device'");
    p.chunks[i].device = device;
  }
  p.placement = deviates ? Placement::Custom : rule;

  std::vector<bool> used(numDevices, false);
  for (const Chunk &c : p.chunks)
    used[c.device] = true;
  for (int d = 0; d < numDevices; ++d)
    if (!used[d])
      stages.fail("no stage is placed on device " + std::to_string(d) +
                  " (datacenter " + quote(p.datacenters[p.dcOfDevice(d)].name) +
                  "); every device must hold at least one stage");
}

void ProblemReader::checkPipelineLinks() {
  std::optional<Node> links = network->get("links");
  const Node &where = links ? *links : *network;
  for (int c = 0; c + 1 < p.numChunks(); ++c) {
    int a = p.chunks[c].device, b = p.chunks[c + 1].device;
    if (a == b)
      continue;
    int da = p.dcOfDevice(a), db = p.dcOfDevice(b);
    std::string pair = "stages[" + std::to_string(c) + "] (device " +
                       std::to_string(a) + ") and stages[" +
                       std::to_string(c + 1) + "] (device " +
                       std::to_string(b) + ")";
    if (da == db) {
      if (!p.linkCost(a, b) || !p.linkCost(b, a))
        network->fail(pair + " communicate inside datacenter " +
                      quote(p.datacenters[da].name) +
                      ", which has no network; add network.intra_dc or "
                      "datacenters[" +
                      std::to_string(da) + "].intra_dc");
      continue;
    }
    // Activations go forward and gradients come back: both directions,
    // over the pair's own link or else their datacenters'.
    for (auto [x, y] : {std::make_pair(a, b), std::make_pair(b, a)}) {
      if (p.linkCost(x, y))
        continue;
      int from = p.dcOfDevice(x), to = p.dcOfDevice(y);
      where.fail("no link from datacenter " + quote(p.datacenters[from].name) +
                 " to " + quote(p.datacenters[to].name) + ", but " + pair +
                 " communicate across it; add it to network.links");
    }
  }
}

void ProblemReader::checkDataParallelLinks() {
  if (p.dpDegree <= 1)
    return;
  std::optional<Node> span = dataParallel->get("span");
  const Node &where = span ? *span : *dataParallel;
  std::string degree = std::to_string(p.dpDegree);
  if (p.dpSpan == DpSpan::IntraDc) {
    for (const Chunk &c : p.chunks) {
      int dc = p.dcOfDevice(c.device);
      if (!p.dcLinkCost(dc, dc))
        where.fail("degree " + degree + " all-reduces inside datacenter " +
                   quote(p.datacenters[dc].name) +
                   ", which has no network; add network.intra_dc or "
                   "datacenters[" +
                   std::to_string(dc) + "].intra_dc");
    }
    return;
  }
  for (const DcLink &link : p.links)
    if (link.fromDc != link.toDc)
      return;
  where.fail("cross_dc all-reduces over links between datacenters, but "
             "network.links declares none");
}

void ProblemReader::checkTotals(const Node &where) {
  int64_t microbatches = p.numMicrobatches, stages = p.numChunks();
  if (microbatches * stages > kMaxBlocksPerKind)
    root.required("microbatches")
        .fail(std::to_string(microbatches) + " microbatches of " +
              std::to_string(stages) + " stages make " +
              std::to_string(microbatches * stages) +
              " blocks of each kind, above the limit of " +
              std::to_string(kMaxBlocksPerKind));
  // Summed in double, which cannot overflow here, against a limit that
  // uint64 holds with room to spare.
  struct Sum {
    const char *field;
    const char *what;
    uint64_t Chunk::*bytes;
    bool perMicrobatch;
    double total = 0;
  } sums[] = {{"activation_mib", "activations", &Chunk::activationBytes, true},
              {"message_mib", "messages", &Chunk::messageBytes, true},
              {"gradient_mib", "gradients", &Chunk::gradientBytes, false}};
  bool explicitStages = where.raw().is_array();
  for (int i = 0; i < stages; ++i) {
    for (Sum &sum : sums) {
      sum.total += double(p.chunks[i].*sum.bytes) *
                   (sum.perMicrobatch ? double(microbatches) : 1.0);
      if (sum.total <= kMaxTotalBytes)
        continue;
      std::string what =
          "the " + std::string(sum.what) + " of " +
          (explicitStages ? "stages" : "chunks") + " 0 to " +
          std::to_string(i) +
          (sum.perMicrobatch
               ? " over " + std::to_string(microbatches) + " microbatches"
               : "") +
          " add up to " + formatNumber(sum.total / double(kMiB)) +
          " MiB, above the limit of 2^62 bytes (4 EiB)";
      if (explicitStages)
        where.at(i).required(sum.field).fail(what);
      where.fail(what);
    }
  }
}

void ProblemReader::readMemory() {
  std::optional<Node> memory = root.get("memory");
  if (!memory)
    return;
  const char *const forms[] = {"activation_limit_mib", "relative_to_1f1b",
                               "relative_to_1f1b_peak", "device_memory"};
  memory->expectObject({"activation_limit_mib", "relative_to_1f1b",
                        "relative_to_1f1b_peak", "device_memory"});
  std::optional<Node> given;
  std::string form;
  for (const char *name : forms) {
    std::optional<Node> node = memory->get(name);
    if (!node)
      continue;
    if (given)
      memory->fail("give one of 'activation_limit_mib', 'relative_to_1f1b', "
                   "'relative_to_1f1b_peak' and 'device_memory', not both '" +
                   form + "' and '" + name + "'");
    given = node;
    form = name;
  }
  if (!given)
    memory->fail("expected 'activation_limit_mib', 'relative_to_1f1b', "
                 "'relative_to_1f1b_peak' or 'device_memory' (omit 'memory' "
                 "for no limit)");
  int numDevices = p.numDevices();
  // Where a device's limit came from, for the error below.
  std::vector<Node> source(numDevices, *given);
  std::string why;
  if (form == "relative_to_1f1b" || form == "relative_to_1f1b_peak") {
    double factor = given->number(/*positive=*/true, kMaxRelative);
    bool peak = form == "relative_to_1f1b_peak";
    (peak ? p.memoryRelativeTo1F1BPeak : p.memoryRelativeTo1F1B) = factor;
    p.memoryLimitBytes = peak ? p.limitsRelativeTo1F1BPeak(factor)
                              : p.limitsRelativeTo1F1B(factor);
    why = "a factor of " + formatNumber(factor) +
          " gives device %d a limit "
          "of ";
  } else if (form == "device_memory") {
    readDeviceMemory(*given);
    why = "device memory leaves device %d ";
  } else if (given->raw().is_array()) {
    std::size_t n = given->expectArray(1);
    if (n != std::size_t(numDevices))
      given->fail("expected one limit per device (" +
                  std::to_string(numDevices) + "), got " + std::to_string(n));
    for (int d = 0; d < numDevices; ++d) {
      source[d] = given->at(d);
      p.memoryLimitBytes.push_back(source[d].mebibytes(kMaxLimitMiB));
    }
  } else {
    if (!given->raw().is_number())
      given->fail("expected a number of MiB or an array with one per "
                  "device, got " +
                  describe(given->raw()));
    p.memoryLimitBytes.assign(numDevices, given->mebibytes(kMaxLimitMiB));
  }
  // Every chunk on a device holds its activation of microbatch 0 before the
  // first backward on that device can free anything (with recomputation,
  // what sched::oneMicrobatchBytes says one microbatch needs).
  for (int d = 0; d < numDevices; ++d) {
    std::vector<int> stages = p.chunksOnDevice(d);
    uint64_t need = oneMicrobatchBytes(p, d);
    uint64_t limit = p.memoryLimitBytes[d];
    if (limit >= need)
      continue;
    std::string what = why.empty() ? "device %d may hold " : why;
    what.replace(what.find("%d"), 2, std::to_string(d));
    source[d].fail(what + mib(limit) +
                   " MiB of activations, but one microbatch of its " +
                   stageList(stages) + " needs " + mib(need) + " MiB");
  }
}

void ProblemReader::readDeviceMemory(const Node &node) {
  node.expectObject({"zero_stage", "reserved_gib"});
  StaticMemorySpec spec;
  spec.bytesPerElement = parameterElementBytes;
  if (auto zero = node.get("zero_stage"))
    spec.zeroStage = int(zero->integer(0, 3));
  if (auto reserved = node.get("reserved_gib"))
    spec.reservedBytes = uint64_t(
        std::llround(reserved->number(/*positive=*/false, kMaxDeviceMemoryGiB) *
                     double(uint64_t(1) << 30)));
  // Without a model, the weights are sized from each stage's gradient.
  for (int i = 0, e = int(gradientGiven.size()); i < e; ++i)
    if (!gradientGiven[i])
      node.fail("needs every stage's gradient_mib (the size of its "
                "parameters, from which weights, gradients and optimizer "
                "states follow), but stages[" +
                std::to_string(i) + "] gives none");
  for (int i = 0, e = int(p.datacenters.size()); i < e; ++i)
    if (p.datacenters[i].deviceMemoryBytes == 0)
      node.fail("needs the memory of every device, but datacenters[" +
                std::to_string(i) + "] (" + quote(p.datacenters[i].name) +
                ") gives no device_memory_gib" +
                (modelGiven ? " (nor does hardware)" : ""));
  p.staticMemory = staticFootprint(p, spec);
  if (std::string why = limitsFromDeviceMemory(p, p.memoryLimitBytes);
      !why.empty())
    node.fail(why);
}
