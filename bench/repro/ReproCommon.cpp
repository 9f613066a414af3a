//===- ReproCommon.cpp - Shared pieces of the paper reproduction ----------===//
//
// Problem variants, schedule runners and Markdown output for the
// reproduction driver. Runners time themselves with a steady clock and
// check every schedule with simulate(), so a number in a table is always the
// performance model's verdict on a complete, valid schedule.
//
//===----------------------------------------------------------------------===//

#include "ReproCommon.h"

#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace crosspipe;
using namespace crosspipe::repro;
using namespace crosspipe::sched;

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

bool fits(const Problem &problem, const SimResult &result) {
  for (int d = 0, e = problem.numDevices(); d < e; ++d)
    if (result.peakMemoryBytes[d] > problem.memoryLimit(d))
      return false;
  return true;
}

} // namespace

Problem crosspipe::repro::twoDatacenterStages(const std::string &name,
                                              int devices, int microbatches,
                                              double f,
                                              uint64_t activationBytes,
                                              uint64_t messageBytes) {
  Problem p;
  p.name = name;
  p.numMicrobatches = microbatches;
  p.splitBackward = true;
  for (int i = 0; i < 2; ++i) {
    Datacenter dc;
    dc.name = "dc" + std::to_string(i);
    dc.numDevices = i ? devices - devices / 2 : devices / 2;
    p.datacenters.push_back(dc);
  }
  // Bandwidth 0 = no cost, until setCrossLinks.
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      p.links.push_back(DcLink{a, b, LinkCost{}, SourceLoc{}});
  for (int c = 0; c < devices; ++c) {
    Chunk chunk;
    chunk.device = c;
    chunk.forwardMs = chunk.dgradMs = chunk.wgradMs = f;
    chunk.backwardMs = 2 * f;
    chunk.activationBytes = activationBytes;
    chunk.messageBytes = c + 1 < devices ? messageBytes : 0;
    p.chunks.push_back(chunk);
  }
  return p;
}

void crosspipe::repro::setCrossLinks(Problem &problem, double latencyMs,
                                     double msPerMessage,
                                     uint64_t messageBytes) {
  for (DcLink &link : problem.links) {
    if (link.fromDc == link.toDc)
      continue;
    link.cost.latencyMs = latencyMs;
    // bytes * 8 bit / (ms * 1e-3 s) / 1e9 = Gbit/s.
    link.cost.bandwidthGbps =
        msPerMessage > 0 ? double(messageBytes) * 8 / (msPerMessage * 1e6) : 0;
  }
}

Problem crosspipe::repro::splitChunks(const Problem &ud, Placement placement,
                                      int perDevice) {
  Problem out = ud;
  out.placement = placement;
  out.chunks.clear();
  int devices = ud.numDevices();
  for (int c = 0; c < devices * perDevice; ++c) {
    // Layers in model order: chunk c holds a 1/perDevice share of the
    // stage whose layers it covers.
    const Chunk &stage = ud.chunks[std::min(c / perDevice, devices - 1)];
    Chunk chunk = stage;
    chunk.device = Problem::placeChunk(placement, c, devices);
    chunk.forwardMs = stage.forwardMs / perDevice;
    chunk.backwardMs = stage.backwardMs / perDevice;
    chunk.dgradMs = stage.dgradMs / perDevice;
    chunk.wgradMs = stage.wgradMs / perDevice;
    chunk.activationBytes = stage.activationBytes / perDevice;
    if (stage.wgradActivationBytes)
      chunk.wgradActivationBytes = *stage.wgradActivationBytes / perDevice;
    chunk.gradientBytes = stage.gradientBytes / perDevice;
    // Every boundary carries one full activation; the last chunk sends none.
    chunk.messageBytes = ud.chunks.front().messageBytes;
    out.chunks.push_back(chunk);
  }
  out.chunks.back().messageBytes = 0;
  // The same bytes per device as the unidirectional budget; drop the
  // relative factor, whose meaning depends on the chunks per device.
  out.memoryLimitBytes.clear();
  for (int d = 0; d < devices && !ud.memoryLimitBytes.empty(); ++d)
    out.memoryLimitBytes.push_back(ud.memoryLimit(d));
  out.memoryRelativeTo1F1B.reset();
  out.memoryRelativeTo1F1BPeak.reset();
  return out;
}

Run crosspipe::repro::runBaseline(const Problem &problem, BaselineKind kind) {
  Run run;
  auto start = std::chrono::steady_clock::now();
  BaselineResult baseline = buildBaseline(problem, kind);
  if (!baseline.ok) {
    run.note = baseline.error;
    return run;
  }
  SimResult sim = simulate(problem, baseline.schedule);
  run.seconds = secondsSince(start);
  if (!sim.ok) {
    run.note = sim.error;
    return run;
  }
  run.ok = true;
  run.makespanMs = sim.makespanMs;
  run.lowerBoundMs = computeLowerBound(problem).makespanMs;
  run.fitsBudget = fits(problem, sim);
  run.rule = baselineName(kind);
  run.schedule = std::move(baseline.schedule);
  return run;
}

Run crosspipe::repro::runGreedy(const Problem &problem, int subBlocks) {
  Run run;
  auto start = std::chrono::steady_clock::now();
  GreedyOptions options;
  options.subBlocks = subBlocks;
  GreedyResult greedy = scheduleGreedy(problem, options);
  run.seconds = secondsSince(start);
  if (!greedy.ok) {
    run.note = greedy.error;
    return run;
  }
  SimResult sim = simulate(problem, greedy.schedule);
  if (!sim.ok) {
    run.note = "greedy schedule does not simulate: " + sim.error;
    return run;
  }
  run.ok = true;
  run.makespanMs = sim.makespanMs;
  // Sub-blocks free their slices early; bound what they may reach.
  run.lowerBoundMs =
      computeLowerBound(problem, maxPartsOf(greedy.schedule)).makespanMs;
  run.fitsBudget = fits(problem, sim);
  run.rule = greedy.rule;
  run.schedule = std::move(greedy.schedule);
  return run;
}

Run crosspipe::repro::runOptimal(const Problem &problem, double seconds) {
  Run run;
  SolverOptions options;
  options.timeLimitSeconds = seconds;
  SolverResult solved = solveOptimal(problem, options);
  run.seconds = solved.seconds;
  if (!solved.ok) {
    run.note = solved.error;
    return run;
  }
  SimResult sim = simulate(problem, solved.schedule);
  if (!sim.ok) {
    run.note = "solver schedule does not simulate: " + sim.error;
    return run;
  }
  run.ok = true;
  run.makespanMs = sim.makespanMs;
  run.lowerBoundMs = solved.lowerBoundMs;
  run.optimal = solved.optimal;
  run.gap = solved.gap;
  run.fitsBudget = fits(problem, sim);
  run.rule = "optimal";
  run.schedule = std::move(solved.schedule);
  return run;
}

Table::Table(std::vector<std::string> header) : header(std::move(header)) {}

void Table::addRow(std::vector<std::string> row) {
  row.resize(header.size());
  rows.push_back(std::move(row));
}

std::string Table::str() const {
  auto line = [](const std::vector<std::string> &cells) {
    std::string out = "|";
    for (const std::string &cell : cells)
      out += " " + cell + " |";
    return out + "\n";
  };
  std::string out = line(header) + "|";
  for (size_t i = 0; i < header.size(); ++i)
    out += int(i) < leftColumns ? "---|" : "---:|";
  out += "\n";
  for (const auto &row : rows)
    out += line(row);
  return out;
}

std::string crosspipe::repro::fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, value);
  return buffer;
}

bool crosspipe::repro::writeResult(const Config &config,
                                   const std::string &name,
                                   const std::string &text) {
  std::error_code ec;
  std::filesystem::create_directories(config.outDir, ec);
  std::string path = config.outDir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    std::cerr << "repro: cannot write " << path << "\n";
    return false;
  }
  std::cout << "  wrote " << path << "\n";
  return true;
}
