//===- Problem.cpp - Derived quantities of a scheduling problem -----------===//
//
// Network lookups, placement rules and DP all-reduce costs, exactly as the
// JSON contract in the README defines them.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;

int Problem::numDevices() const {
  int n = 0;
  for (const Datacenter &dc : datacenters)
    n += dc.numDevices;
  return n;
}

int Problem::dcOfDevice(int device) const {
  for (int i = 0, e = int(datacenters.size()); i < e; ++i) {
    if (device < datacenters[i].numDevices)
      return i;
    device -= datacenters[i].numDevices;
  }
  return -1;
}

const LinkCost *Problem::dcLinkCost(int fromDc, int toDc) const {
  for (const DcLink &link : links)
    if (link.fromDc == fromDc && link.toDc == toDc)
      return &link.cost;
  return nullptr;
}

const DeviceLink *Problem::deviceLink(int srcDevice, int dstDevice) const {
  for (const DeviceLink &link : deviceLinks)
    if (link.fromDevice == srcDevice && link.toDevice == dstDevice)
      return &link;
  return nullptr;
}

LinkId Problem::linkBetween(int srcDevice, int dstDevice) const {
  int srcDc = dcOfDevice(srcDevice), dstDc = dcOfDevice(dstDevice);
  if (srcDc == dstDc)
    return LinkId{srcDevice, dstDevice, /*crossDc=*/false};
  const DeviceLink *own = deviceLink(srcDevice, dstDevice);
  if (own && own->separatePath)
    return LinkId{srcDevice, dstDevice, /*crossDc=*/true, /*separate=*/true};
  return LinkId{srcDc, dstDc, /*crossDc=*/true};
}

const LinkCost *Problem::linkCost(int srcDevice, int dstDevice) const {
  if (const DeviceLink *own = deviceLink(srcDevice, dstDevice))
    return &own->cost;
  return dcLinkCost(dcOfDevice(srcDevice), dcOfDevice(dstDevice));
}

std::string Problem::linkName(const LinkId &link) const {
  if (link.crossDc && !link.separate)
    return datacenters[link.src].name + "->" + datacenters[link.dst].name;
  return "dev" + std::to_string(link.src) + "->dev" + std::to_string(link.dst);
}

uint64_t Problem::memoryLimit(int device) const {
  if (device < 0 || device >= int(memoryLimitBytes.size()))
    return kUnlimited;
  return memoryLimitBytes[device];
}

std::vector<int> Problem::chunksOnDevice(int device) const {
  std::vector<int> result;
  for (int c = 0, e = numChunks(); c < e; ++c)
    if (chunks[c].device == device)
      result.push_back(c);
  return result;
}

double Problem::backwardTotalMs(int chunk) const {
  return splitBackward ? wholeBlockMs(*this, chunk, BlockKind::D) +
                             wholeBlockMs(*this, chunk, BlockKind::W)
                       : wholeBlockMs(*this, chunk, BlockKind::B);
}

/// The link whose cost a chunk's DP ring pays: the datacenter's own network,
/// or the slowest cross-datacenter link for this gradient's size.
static const LinkCost *dpLinkCost(const Problem &p, int chunk) {
  if (p.dpSpan == DpSpan::IntraDc) {
    int dc = p.dcOfDevice(p.chunks[chunk].device);
    return p.dcLinkCost(dc, dc);
  }
  const LinkCost *cost = nullptr;
  double worst = -1;
  for (const DcLink &link : p.links) {
    if (link.fromDc == link.toDc)
      continue;
    double t = link.cost.costMs(p.chunks[chunk].gradientBytes);
    if (t > worst) {
      worst = t;
      cost = &link.cost;
    }
  }
  return cost;
}

double Problem::allreduceMs(int chunk) const {
  if (dpDegree <= 1)
    return 0.0;
  const LinkCost *cost = dpLinkCost(*this, chunk);
  if (!cost)
    return 0.0;
  double n = dpDegree;
  return 2 * (n - 1) * cost->latencyMs +
         2 * (n - 1) / n * cost->bandwidthMs(chunks[chunk].gradientBytes);
}

double Problem::collectiveMs(int chunk, CollectiveKind kind) const {
  if (kind == CollectiveKind::AllReduce && dpBuckets <= 1)
    return allreduceMs(chunk);
  if (dpDegree <= 1)
    return 0.0;
  const LinkCost *cost = dpLinkCost(*this, chunk);
  if (!cost)
    return 0.0;
  // A ring all-reduce is a reduce-scatter followed by an all-gather; each
  // half pays (n - 1) latencies and moves (n - 1) / n of the data.
  double n = dpDegree;
  double share = kind == CollectiveKind::AllGather
                     ? 1.0
                     : 1.0 / double(std::max(dpBuckets, 1));
  double half = (n - 1) * cost->latencyMs +
                (n - 1) / n * cost->bandwidthMs(chunks[chunk].gradientBytes) *
                    share;
  return kind == CollectiveKind::AllReduce ? 2 * half : half;
}

double Problem::maxForwardMs() const {
  double m = 0;
  for (const Chunk &c : chunks)
    m = std::max(m, c.forwardMs);
  return m;
}

/// f * count * the largest activation on each device.
static std::vector<uint64_t> relativeLimits(const Problem &p, double factor,
                                            bool uniform) {
  int n = p.numDevices();
  std::vector<uint64_t> limits(n, kUnlimited);
  for (int d = 0; d < n; ++d) {
    uint64_t largest = 0;
    for (const Chunk &c : p.chunks)
      if (c.device == d)
        largest = std::max(largest, c.activationBytes);
    double count = uniform ? n : n - d;
    limits[d] = uint64_t(std::floor(factor * count * double(largest)));
  }
  return limits;
}

std::vector<uint64_t> Problem::limitsRelativeTo1F1B(double factor) const {
  return relativeLimits(*this, factor, /*uniform=*/false);
}

std::vector<uint64_t> Problem::limitsRelativeTo1F1BPeak(double factor) const {
  return relativeLimits(*this, factor, /*uniform=*/true);
}

uint64_t Problem::deviceMemory(int device) const {
  int dc = dcOfDevice(device);
  return dc < 0 ? 0 : datacenters[dc].deviceMemoryBytes;
}
