//===- ProblemJson.cpp - Read an experiment description from JSON ---------===//
//
// The schema of the experiment description, read top-down through Node so
// that each check names its field and position. Besides types and ranges it
// checks the few cross-field invariants whose JSON-located message beats the
// later IR verifiers' (stage count against placement, links the pipeline
// needs, a memory budget that cannot hold one microbatch). Limits on counts
// and sizes keep derived quantities (per-device vectors, byte sums, the
// relative-to-1F1B products in Problem.cpp) finite and small.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Import/ProblemJson.h"

#include "JsonPositions.h"
#include "JsonReader.h"

#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

using namespace crosspipe;
using namespace crosspipe::json_detail;
using namespace crosspipe::sched;

namespace {

constexpr int64_t kMaxMicrobatches = 1000000;
constexpr int64_t kMaxDevices = 16384;
constexpr int64_t kMaxDpDegree = 1000000;
constexpr double kMaxMs = 1e9;
constexpr double kMaxGbps = 1e9;
constexpr double kMaxLatencyMs = 1e9;
/// 1 TiB per chunk and microbatch: with kMaxDevices and kMaxRelative the
/// relative-to-1F1B product stays below 2^63.
constexpr double kMaxChunkMiB = 1048576;
constexpr double kMaxLimitMiB = 1099511627776.0; // 2^40 MiB = 2^60 bytes.
constexpr double kMaxRelative = 100;
constexpr double kMaxDeviceMemoryGiB = 1048576;

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > kUnlimited - b ? kUnlimited : a + b;
}

std::string mib(uint64_t bytes) { return formatNumber(double(bytes) / kMiB); }

std::string stageList(const std::vector<int> &stages) {
  std::string out = stages.size() == 1 ? "stage " : "stages ";
  for (std::size_t i = 0; i < stages.size(); ++i)
    out += (i ? ", " : "") + std::to_string(stages[i]);
  return out;
}

class ProblemReader {
public:
  explicit ProblemReader(const Node &root) : root(root) {}
  Problem read();

private:
  void readDatacenters();
  LinkCost readLinkCost(const Node &node);
  void readNetwork();
  void readLinks(const Node &links);
  void readDataParallel();
  void readStages();
  Chunk readStage(const Node &stage, int index, int numStages);
  void placeStages(const Node &stages);
  void checkPipelineLinks();
  void checkDataParallelLinks();
  void readMemory();

  const Node &root;
  Problem p;
  std::unordered_map<std::string, int> dcIndex;
  /// Each datacenter's own "intra_dc", if given.
  std::vector<std::optional<Node>> dcIntra;
  std::optional<Node> network;
  std::optional<Node> dataParallel;
  std::string placementName;
  /// Per stage, the explicit "device" if any.
  std::vector<std::optional<int>> deviceOverride;
};

Problem ProblemReader::read() {
  if (!root.raw().is_object())
    root.fail("expected an object at the top level, got " +
              describe(root.raw()));
  root.expectObject({"name", "microbatches", "datacenters", "network",
                     "placement", "split_backward", "stages", "memory",
                     "data_parallel"});
  p.name = "unnamed";
  if (auto name = root.get("name"))
    p.name = name->string();
  p.numMicrobatches =
      int(root.required("microbatches").integer(1, kMaxMicrobatches));
  readDatacenters();
  readNetwork();
  if (auto split = root.get("split_backward"))
    p.splitBackward = split->boolean();
  placementName = "unidirectional";
  if (auto placement = root.get("placement"))
    placementName = placement->oneOf(
        "placement", {"unidirectional", "interleaved", "wave", "custom"});
  readDataParallel();
  readStages();
  checkDataParallelLinks();
  readMemory();
  return std::move(p);
}

void ProblemReader::readDatacenters() {
  Node list = root.required("datacenters");
  std::size_t n = list.expectArray(1);
  int64_t totalDevices = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Node entry = list.at(i);
    entry.expectObject({"name", "devices", "device_memory_gib", "intra_dc"});
    Datacenter dc;
    dc.loc = entry.loc();
    Node name = entry.required("name");
    dc.name = name.string();
    if (dc.name.empty())
      name.fail("expected a non-empty datacenter name");
    auto [it, inserted] = dcIndex.emplace(dc.name, int(i));
    if (!inserted)
      name.fail("datacenter " + quote(dc.name) +
                " is already defined by datacenters[" +
                std::to_string(it->second) + "]");
    dc.numDevices = int(entry.required("devices").integer(1, kMaxDevices));
    totalDevices += dc.numDevices;
    if (totalDevices > kMaxDevices)
      list.fail("more than " + std::to_string(kMaxDevices) +
                " devices in total are not supported");
    if (auto memory = entry.get("device_memory_gib"))
      dc.deviceMemoryBytes = uint64_t(std::llround(
          memory->number(/*positive=*/false, kMaxDeviceMemoryGiB) *
          double(uint64_t(1) << 30)));
    dcIntra.push_back(entry.get("intra_dc"));
    p.datacenters.push_back(std::move(dc));
  }
}

LinkCost ProblemReader::readLinkCost(const Node &node) {
  LinkCost cost;
  cost.latencyMs =
      node.required("latency_ms").number(/*positive=*/false, kMaxLatencyMs);
  cost.bandwidthGbps =
      node.required("bandwidth_gbps").number(/*positive=*/true, kMaxGbps);
  return cost;
}

void ProblemReader::readNetwork() {
  network = root.required("network");
  network->expectObject({"intra_dc", "links"});
  std::optional<Node> shared = network->get("intra_dc");
  if (shared)
    shared->expectObject({"latency_ms", "bandwidth_gbps"});
  // Inside each datacenter: its own override, else the shared description.
  for (int i = 0, e = int(p.datacenters.size()); i < e; ++i) {
    std::optional<Node> source = dcIntra[i] ? dcIntra[i] : shared;
    if (!source)
      continue;
    if (dcIntra[i])
      source->expectObject({"latency_ms", "bandwidth_gbps"});
    p.links.push_back(DcLink{i, i, readLinkCost(*source), source->loc()});
  }
  if (auto links = network->get("links"))
    readLinks(*links);
}

void ProblemReader::readLinks(const Node &links) {
  std::size_t n = links.expectArray(0);
  std::map<std::pair<int, int>, std::size_t> declaredBy;
  auto lookup = [&](const Node &name) {
    std::string s = name.string();
    auto it = dcIndex.find(s);
    if (it != dcIndex.end())
      return it->second;
    std::vector<std::string_view> names;
    for (const Datacenter &dc : p.datacenters)
      names.push_back(dc.name);
    std::string what = "unknown datacenter " + quote(s);
    if (auto suggestion = closestName(s, names))
      what += " (did you mean '" + *suggestion + "'?)";
    name.fail(what);
  };
  for (std::size_t i = 0; i < n; ++i) {
    Node link = links.at(i);
    link.expectObject({"between", "from", "to", "latency_ms", "bandwidth_gbps"});
    int a, b;
    bool symmetric = false;
    if (auto between = link.get("between")) {
      if (link.get("from") || link.get("to"))
        link.fail("give either 'between' (both directions) or 'from' and "
                  "'to' (one direction), not both");
      if (between->expectArray(2) != 2)
        between->fail("expected two datacenter names, got " +
                      std::to_string(between->raw().size()));
      a = lookup(between->at(0));
      b = lookup(between->at(1));
      symmetric = true;
      if (a == b)
        between->fail("both ends are datacenter " + quote(p.datacenters[a].name) +
                      "; the network inside a datacenter is network.intra_dc");
    } else {
      a = lookup(link.required("from", "or give 'between'"));
      b = lookup(link.required("to"));
      if (a == b)
        link.fail("'from' and 'to' are both datacenter " +
                  quote(p.datacenters[a].name) +
                  "; the network inside a datacenter is network.intra_dc");
    }
    LinkCost cost = readLinkCost(link);
    for (auto [from, to] : symmetric ? std::vector<std::pair<int, int>>{{a, b}, {b, a}}
                                     : std::vector<std::pair<int, int>>{{a, b}}) {
      auto [it, inserted] = declaredBy.emplace(std::make_pair(from, to), i);
      if (!inserted)
        link.fail("the link " + p.datacenters[from].name + "->" +
                  p.datacenters[to].name + " is already given by network.links[" +
                  std::to_string(it->second) + "]");
      p.links.push_back(DcLink{from, to, cost, link.loc()});
    }
  }
}

void ProblemReader::readDataParallel() {
  dataParallel = root.get("data_parallel");
  if (!dataParallel)
    return;
  dataParallel->expectObject({"degree", "span"});
  p.dpDegree = int(dataParallel->required("degree").integer(1, kMaxDpDegree));
  if (auto span = dataParallel->get("span"))
    p.dpSpan = span->oneOf("data_parallel span", {"intra_dc", "cross_dc"}) ==
                       "cross_dc"
                   ? DpSpan::CrossDc
                   : DpSpan::IntraDc;
}

Chunk ProblemReader::readStage(const Node &stage, int index, int numStages) {
  stage.expectObject({"forward_ms", "backward_ms", "dgrad_ms", "wgrad_ms",
                      "activation_mib", "message_mib", "gradient_mib",
                      "device"});
  Chunk c;
  c.loc = stage.loc();
  auto time = [](const Node &node) { return node.number(true, kMaxMs); };
  c.forwardMs = time(stage.required("forward_ms"));
  std::optional<Node> dgrad = stage.get("dgrad_ms"), wgrad = stage.get("wgrad_ms");
  std::optional<Node> backward = stage.get("backward_ms");
  if (p.splitBackward) {
    c.dgradMs = time(stage.required("dgrad_ms", "split_backward is true"));
    c.wgradMs = time(stage.required("wgrad_ms", "split_backward is true"));
    // Kept consistent so that unsplit baselines can run on split problems.
    c.backwardMs = backward ? time(*backward) : c.dgradMs + c.wgradMs;
  } else {
    // A file written for split backward stays usable with the flag off.
    if (dgrad && wgrad && !backward) {
      c.dgradMs = time(*dgrad);
      c.wgradMs = time(*wgrad);
      c.backwardMs = c.dgradMs + c.wgradMs;
    } else {
      c.backwardMs = time(stage.required(
          "backward_ms", "split_backward is false; or give dgrad_ms and wgrad_ms"));
      if (dgrad)
        c.dgradMs = time(*dgrad);
      if (wgrad)
        c.wgradMs = time(*wgrad);
    }
  }
  c.activationBytes = stage.required("activation_mib").mebibytes(kMaxChunkMiB);
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
  if (p.dpDegree > 1)
    c.gradientBytes =
        stage
            .required("gradient_mib", "data_parallel degree is " +
                                          std::to_string(p.dpDegree))
            .mebibytes(kMaxChunkMiB);
  else if (auto gradient = stage.get("gradient_mib"))
    c.gradientBytes = gradient->mebibytes(kMaxChunkMiB);
  if (auto device = stage.get("device")) {
    int numDevices = p.numDevices();
    const json &v = device->raw();
    bool inRange = v.is_number_integer() &&
                   (v.is_number_unsigned() ? v.get<uint64_t>() < uint64_t(numDevices)
                                           : v.get<int64_t>() >= 0 &&
                                                 v.get<int64_t>() < numDevices);
    if (!inRange)
      device->fail("expected a device index from 0 to " +
                   std::to_string(numDevices - 1) + ", got " + describe(v));
    deviceOverride[index] = int(v.get<int64_t>());
  }
  return c;
}

void ProblemReader::readStages() {
  Node stages = root.required("stages");
  int n = int(stages.expectArray(1));
  deviceOverride.assign(n, std::nullopt);
  for (int i = 0; i < n; ++i)
    p.chunks.push_back(readStage(stages.at(i), i, n));
  placeStages(stages);
  checkPipelineLinks();
}

void ProblemReader::placeStages(const Node &stages) {
  int n = p.numChunks(), numDevices = p.numDevices();
  bool anyOverride = false;
  for (const std::optional<int> &d : deviceOverride)
    anyOverride |= d.has_value();
  std::string count = std::to_string(n);
  std::string devices = std::to_string(numDevices);
  Placement rule = Placement::Unidirectional;
  if (placementName == "interleaved")
    rule = Placement::Interleaved;
  else if (placementName == "wave")
    rule = Placement::Wave;
  else if (placementName == "custom")
    rule = Placement::Custom;

  if (rule == Placement::Custom) {
    for (int i = 0; i < n; ++i)
      if (!deviceOverride[i])
        stages.at(i).required("device", "placement is custom");
  } else if (!anyOverride) {
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
  // Stages without "device" follow the declared rule; any override makes
  // the placement as a whole Custom.
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
  p.placement = anyOverride ? Placement::Custom : rule;

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
      if (!p.dcLinkCost(da, da))
        network->fail(pair + " communicate inside datacenter " +
                      quote(p.datacenters[da].name) +
                      ", which has no network; add network.intra_dc or "
                      "datacenters[" + std::to_string(da) + "].intra_dc");
      continue;
    }
    // Activations go forward and gradients come back: both directions.
    for (auto [from, to] : {std::make_pair(da, db), std::make_pair(db, da)})
      if (!p.dcLinkCost(from, to))
        where.fail("no link from datacenter " + quote(p.datacenters[from].name) +
                   " to " + quote(p.datacenters[to].name) + ", but " + pair +
                   " communicate across it; add it to network.links");
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
                   "datacenters[" + std::to_string(dc) + "].intra_dc");
    }
    return;
  }
  for (const DcLink &link : p.links)
    if (link.fromDc != link.toDc)
      return;
  where.fail("cross_dc all-reduces over links between datacenters, but "
             "network.links declares none");
}

void ProblemReader::readMemory() {
  std::optional<Node> memory = root.get("memory");
  if (!memory)
    return;
  memory->expectObject({"activation_limit_mib", "relative_to_1f1b"});
  std::optional<Node> absolute = memory->get("activation_limit_mib");
  std::optional<Node> relative = memory->get("relative_to_1f1b");
  if (absolute && relative)
    memory->fail("give either 'activation_limit_mib' or 'relative_to_1f1b', "
                 "not both");
  if (!absolute && !relative)
    memory->fail("expected 'activation_limit_mib' or 'relative_to_1f1b' "
                 "(omit 'memory' for no limit)");
  int numDevices = p.numDevices();
  // Where a device's limit came from, for the error below.
  std::vector<Node> source;
  if (relative) {
    double factor = relative->number(/*positive=*/true, kMaxRelative);
    p.memoryRelativeTo1F1B = factor;
    p.memoryLimitBytes = p.limitsRelativeTo1F1B(factor);
    source.assign(numDevices, *relative);
  } else if (absolute->raw().is_array()) {
    std::size_t n = absolute->expectArray(1);
    if (n != std::size_t(numDevices))
      absolute->fail("expected one limit per device (" +
                     std::to_string(numDevices) + "), got " + std::to_string(n));
    for (int d = 0; d < numDevices; ++d) {
      source.push_back(absolute->at(d));
      p.memoryLimitBytes.push_back(source.back().mebibytes(kMaxLimitMiB));
    }
  } else {
    if (!absolute->raw().is_number())
      absolute->fail("expected a number of MiB or an array with one per "
                     "device, got " + describe(absolute->raw()));
    p.memoryLimitBytes.assign(numDevices, absolute->mebibytes(kMaxLimitMiB));
    source.assign(numDevices, *absolute);
  }
  // Every chunk on a device holds its activation of microbatch 0 before the
  // first backward on that device can free anything.
  for (int d = 0; d < numDevices; ++d) {
    std::vector<int> stages = p.chunksOnDevice(d);
    uint64_t need = 0;
    for (int c : stages)
      need = saturatingAdd(need, p.chunks[c].activationBytes);
    uint64_t limit = p.memoryLimitBytes[d];
    if (limit >= need)
      continue;
    std::string why = relative ? "a factor of " + formatNumber(*p.memoryRelativeTo1F1B) +
                                     " gives device " + std::to_string(d) +
                                     " a limit of "
                               : "device " + std::to_string(d) + " may hold ";
    source[d].fail(why + mib(limit) + " MiB of activations, but one microbatch of its " +
                   stageList(stages) + " needs " + mib(need) + " MiB");
  }
}

} // namespace

ParsedProblem crosspipe::parseProblemJson(std::string_view text) {
  ParsedProblem result;
  try {
    json document;
    try {
      document = json::parse(text.data(), text.data() + text.size());
    } catch (const json::parse_error &e) {
      // e.byte is the 1-based index of the last byte read.
      SourceLoc loc = LineIndex(text).locate(e.byte ? e.byte - 1 : 0);
      std::string what = e.what();
      std::size_t start = what.find("parse error");
      start = start == std::string::npos ? start : what.find(": ", start);
      std::string detail =
          start == std::string::npos ? what : what.substr(start + 2);
      throw ReadFailure{JsonError{loc.line, loc.column, "", "invalid JSON: " + detail}};
    }
    JsonPositions positions(text);
    const JsonPositions::Problem &structural = positions.problem();
    if (!structural.message.empty())
      throw ReadFailure{JsonError{structural.loc.line, structural.loc.column,
                                  structural.pointer, structural.message}};
    Diagnoser diag(positions);
    Node root(document, JsonPath(), diag);
    result.problem = ProblemReader(root).read();
    result.ok = true;
  } catch (const ReadFailure &failure) {
    result.error = failure.error;
  } catch (const std::exception &e) {
    // Only resource exhaustion should get here; report rather than throw.
    result.error.message = std::string("internal error while reading: ") + e.what();
  } catch (...) {
    result.error.message = "internal error while reading";
  }
  if (!result.ok)
    result.problem = Problem();
  return result;
}

ParsedProblem crosspipe::parseProblemJsonFile(const std::string &path) {
  std::string text;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      ParsedProblem result;
      result.error.message = "cannot open '" + path + "'";
      return result;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  } catch (...) {
    ParsedProblem result;
    result.error.message = "cannot read '" + path + "'";
    return result;
  }
  return parseProblemJson(text);
}

std::string crosspipe::formatJsonError(const JsonError &error,
                                       std::string_view fileName) {
  std::string out(fileName);
  if (error.line > 0)
    out += ":" + std::to_string(error.line) + ":" + std::to_string(error.column);
  return out + ": " + error.message;
}
