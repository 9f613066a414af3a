//===- ProblemJson.cpp - Read an experiment description from JSON ---------===//
//
// The entry points (position pass, DOM, schema reader, error capture) and the
// top of the schema: cluster, network and data parallelism. Stages and the
// cross-field checks are in ProblemStages.cpp.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Format/ProblemJson.h"

#include "JsonPositions.h"
#include "JsonReader.h"
#include "ProblemReader.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using namespace crosspipe;
using namespace crosspipe::json_detail;
using namespace crosspipe::sched;

Problem ProblemReader::read() {
  if (!root.raw().is_object())
    root.fail("expected an object at the top level, got " +
              describe(root.raw()));
  root.expectObject({"name", "microbatches", "datacenters", "network",
                     "placement", "split_backward", "stages", "model",
                     "hardware", "memory", "data_parallel"});
  p.name = "unnamed";
  if (auto name = root.get("name"))
    p.name = name->name();
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
  // Costs come either explicitly per stage or from the model's shape.
  std::optional<Node> model = root.get("model");
  if (model && root.get("stages"))
    model->fail("give either 'stages' (explicit costs) or 'model' and "
                "'hardware' (costs derived from the model's shape), not both");
  if (auto share = dataParallel ? dataParallel->get("replicas_share_links")
                                : std::nullopt) {
    if (!model)
      share->fail("only applies to message sizes derived from 'model'");
    replicasShareLinks = share->boolean();
  }
  if (model) {
    readModel(*model);
  } else {
    if (auto hardware = root.get("hardware"))
      hardware->fail("is only used with 'model'; give 'model' too, or "
                     "remove it");
    readStages();
  }
  checkTotals(model ? *model : root.required("stages"));
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
    dc.name = name.name("datacenter name");
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
      dc.deviceMemoryBytes = uint64_t(
          std::llround(memory->number(/*positive=*/false, kMaxDeviceMemoryGiB) *
                       double(uint64_t(1) << 30)));
    dcIntra.push_back(entry.get("intra_dc"));
    p.datacenters.push_back(std::move(dc));
  }
}

LinkCost ProblemReader::readLinkCost(const Node &node) {
  LinkCost cost;
  cost.latencyMs =
      node.required("latency_ms").number(/*positive=*/false, kMaxLatencyMs);
  Node bandwidth = node.required("bandwidth_gbps");
  cost.bandwidthGbps = bandwidth.number(/*positive=*/true, kMaxGbps);
  if (cost.bandwidthGbps < kMinGbps)
    bandwidth.fail("must be at least " + formatNumber(kMinGbps) +
                   " (1 kbit/s), got " + describe(bandwidth.raw()));
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
    link.expectObject({"between", "from", "to", "devices", "latency_ms",
                       "bandwidth_gbps", "separate_path"});
    if (auto devices = link.get("devices")) {
      readDeviceLink(link, *devices, i);
      continue;
    }
    if (auto separate = link.get("separate_path"))
      separate->fail("only applies to a link between two devices "
                     "(\"devices\": [a, b])");
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
        between->fail("both ends are datacenter " +
                      quote(p.datacenters[a].name) +
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
    for (auto [from, to] :
         symmetric ? std::vector<std::pair<int, int>>{{a, b}, {b, a}}
                   : std::vector<std::pair<int, int>>{{a, b}}) {
      auto [it, inserted] = declaredBy.emplace(std::make_pair(from, to), i);
      if (!inserted)
        link.fail("the link " + p.datacenters[from].name + "->" +
                  p.datacenters[to].name +
                  " is already given by network.links[" +
                  std::to_string(it->second) + "]");
      p.links.push_back(DcLink{from, to, cost, link.loc()});
    }
  }
}

void ProblemReader::readDeviceLink(const Node &link, const Node &devices,
                                   std::size_t index) {
  if (link.get("between") || link.get("from") || link.get("to"))
    link.fail("give either 'devices' (a pair of devices) or 'between' or "
              "'from' and 'to' (datacenters), not both");
  if (devices.expectArray(2) != 2)
    devices.fail("expected two device indices, got " +
                 std::to_string(devices.raw().size()));
  int numDevices = p.numDevices();
  int ends[2];
  for (int k = 0; k < 2; ++k) {
    Node end = devices.at(k);
    const json &v = end.raw();
    bool inRange =
        v.is_number_integer() &&
        (v.is_number_unsigned()
             ? v.get<uint64_t>() < uint64_t(numDevices)
             : v.get<int64_t>() >= 0 && v.get<int64_t>() < numDevices);
    if (!inRange)
      end.fail("expected a device index from 0 to " +
               std::to_string(numDevices - 1) + ", got " + describe(v));
    ends[k] = int(v.get<int64_t>());
  }
  int a = ends[0], b = ends[1];
  if (a == b)
    devices.fail("both ends are device " + std::to_string(a));
  DeviceLink out;
  out.cost = readLinkCost(link);
  out.loc = link.loc();
  if (auto separate = link.get("separate_path")) {
    out.separatePath = separate->boolean();
    int da = p.dcOfDevice(a);
    if (out.separatePath && da == p.dcOfDevice(b))
      separate->fail("devices " + std::to_string(a) + " and " +
                     std::to_string(b) + " are both in datacenter " +
                     quote(p.datacenters[da].name) +
                     ", where every device pair has its own link already");
  }
  for (auto [from, to] : {std::make_pair(a, b), std::make_pair(b, a)}) {
    auto [it, inserted] = deviceLinkBy.emplace(std::make_pair(from, to), index);
    if (!inserted)
      link.fail("the link between devices " + std::to_string(from) + " and " +
                std::to_string(to) + " is already given by network.links[" +
                std::to_string(it->second) + "]");
    out.fromDevice = from;
    out.toDevice = to;
    p.deviceLinks.push_back(out);
  }
}

void ProblemReader::readDataParallel() {
  dataParallel = root.get("data_parallel");
  if (!dataParallel)
    return;
  dataParallel->expectObject({"degree", "span", "replicas_share_links"});
  p.dpDegree = int(dataParallel->required("degree").integer(1, kMaxDpDegree));
  if (auto span = dataParallel->get("span"))
    p.dpSpan = span->oneOf("data_parallel span", {"intra_dc", "cross_dc"}) ==
                       "cross_dc"
                   ? DpSpan::CrossDc
                   : DpSpan::IntraDc;
}

ParsedProblem crosspipe::parseProblemJson(std::string_view text) {
  ParsedProblem result;
  try {
    // The position pass runs first: it also reports syntax errors, located
    // at the offending token rather than at the last byte read.
    JsonPositions positions(text);
    const JsonPositions::Problem &problem = positions.problem();
    if (!problem.message.empty())
      throw ReadFailure{JsonError{problem.loc.line, problem.loc.column,
                                  problem.pointer, problem.message}};
    json document = json::parse(text.data(), text.data() + text.size());
    Diagnoser diag(positions);
    Node root(document, JsonPath(), diag);
    result.problem = ProblemReader(root).read();
    result.ok = true;
  } catch (const ReadFailure &failure) {
    result.error = failure.error;
  } catch (const std::exception &e) {
    // Only resource exhaustion should get here; report rather than throw.
    result.error.message =
        std::string("internal error while reading: ") + e.what();
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
    out +=
        ":" + std::to_string(error.line) + ":" + std::to_string(error.column);
  return out + ": " + error.message;
}
