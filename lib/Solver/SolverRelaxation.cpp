//===- SolverRelaxation.cpp - One-device relaxations for lower bounds -----===//
//
// The makespan of a pipeline is usually decided by one bottleneck device:
// the one whose memory budget and round trips through the rest of the
// pipeline leave it the least slack. Keeping only that device's blocks and
// replacing everything else by longest-path distances (which no schedule can
// beat, since resources elsewhere can only add delay) gives a problem with
// one device's orders, small enough for the solver to close, whose optimum
// bounds the full one. This is where most proven bounds of large instances
// come from.
//
//===----------------------------------------------------------------------===//

#include "SolverInstance.h"

#include <algorithm>
#include <climits>
#include <map>

using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;

namespace {

constexpr int kUnreached = INT_MIN;

struct Graph {
  std::vector<std::vector<std::pair<int, int>>> succ; ///< (to, lag)
  std::vector<int> topo;
};

Graph graphOf(const Instance &inst) {
  Graph g;
  size_t n = inst.tasks.size();
  g.succ.resize(n);
  std::vector<int> indegree(n, 0);
  for (const Arc &a : inst.arcs) {
    g.succ[a.from].push_back({a.to, a.lag});
    ++indegree[a.to];
  }
  for (size_t i = 0; i < n; ++i)
    if (indegree[i] == 0)
      g.topo.push_back(int(i));
  for (size_t head = 0; head < g.topo.size(); ++head)
    for (auto [to, lag] : g.succ[g.topo[head]])
      if (--indegree[to] == 0)
        g.topo.push_back(to);
  return g;
}

/// Heads: earliest starts with every resource ignored. Tails: least time
/// from a task's start to the end of the step.
struct HeadsAndTails {
  std::vector<int> head, tail;
};

HeadsAndTails headsAndTails(const Instance &full, const Graph &g) {
  size_t n = full.tasks.size();
  HeadsAndTails ht;
  ht.head.resize(n);
  for (size_t i = 0; i < n; ++i)
    ht.head[i] = full.tasks[i].release;
  for (int u : g.topo)
    for (auto [v, lag] : g.succ[u])
      ht.head[v] = std::max(ht.head[v], ht.head[u] + lag);
  ht.tail.assign(n, 0);
  for (int s : full.sinks)
    ht.tail[s] = full.tasks[s].duration + full.tasks[s].tail;
  for (auto it = g.topo.rbegin(); it != g.topo.rend(); ++it)
    for (auto [v, lag] : g.succ[*it])
      ht.tail[*it] = std::max(ht.tail[*it], lag + ht.tail[v]);
  return ht;
}

/// Longest paths between the kept tasks whose interior lies outside
/// them: paths through kept tasks follow from these by chaining, so the
/// arcs stay sparse and propagate to the same bounds. False when the
/// deadline passed (each task's pass is linear in the whole graph).
bool addLongestPathArcs(const Graph &g, const std::vector<int> &tasks,
                        const std::map<int, int> &local, Instance &out,
                        const BuildLimits &limits) {
  size_t n = g.succ.size();
  std::vector<int> dist(n);
  std::vector<int> order(n);
  for (size_t i = 0; i < n; ++i)
    order[g.topo[i]] = int(i);
  for (int u : tasks) {
    if (limits.expired())
      return false;
    std::fill(dist.begin(), dist.end(), kUnreached);
    dist[u] = 0;
    for (size_t i = size_t(order[u]); i < n; ++i) {
      int x = g.topo[i];
      if (dist[x] == kUnreached || (x != u && local.count(x)))
        continue;
      for (auto [v, lag] : g.succ[x])
        dist[v] = std::max(dist[v], dist[x] + lag);
    }
    for (int v : tasks)
      if (v != u && dist[v] != kUnreached)
        out.arcs.push_back({local.at(u), local.at(v), dist[v]});
  }
  return true;
}

/// The kept devices' shared budgets, renumbered.
void copyMemoryGroups(const Instance &full,
                      const std::map<int, int> &deviceIndex,
                      const std::map<int, int> &local, Instance &out) {
  for (const MemoryGroup &group : full.memory) {
    if (!deviceIndex.count(group.device))
      continue;
    MemoryGroup copy = group;
    copy.device = deviceIndex.at(group.device);
    for (int &t : copy.first)
      t = local.at(t);
    for (int &t : copy.last)
      t = local.at(t);
    out.memory.push_back(std::move(copy));
  }
}

} // namespace

bool crosspipe::sched::solver::buildDeviceRelaxation(
    const Instance &full, const std::vector<int> &devices, const Schedule &seed,
    Instance &out, const BuildLimits &limits) {
  Graph g = graphOf(full);
  HeadsAndTails ht = headsAndTails(full, g);
  std::vector<int> tasks;
  std::map<int, int> local, deviceIndex;
  for (int d : devices) {
    deviceIndex[d] = int(deviceIndex.size());
    tasks.insert(tasks.end(), full.devices[d].begin(), full.devices[d].end());
  }
  out = Instance();
  out.unitsPerMs = full.unitsPerMs;
  out.exactTimes = full.exactTimes;
  out.horizon = full.horizon;
  out.minMakespan = full.minMakespan;
  out.numChunks = full.numChunks;
  out.numMicrobatches = full.numMicrobatches;
  out.slots = full.slots;
  out.devices.assign(devices.size(), {});
  for (int t : tasks) {
    local[t] = int(out.tasks.size());
    Task copy = full.tasks[t];
    copy.release = ht.head[t];
    copy.tail = std::max(0, ht.tail[t] - copy.duration);
    copy.device = deviceIndex[copy.device];
    out.devices[copy.device].push_back(int(out.tasks.size()));
    out.sinks.push_back(int(out.tasks.size()));
    out.tasks.push_back(copy);
  }
  if (!addLongestPathArcs(g, tasks, local, out, limits))
    return false;
  copyMemoryGroups(full, deviceIndex, local, out);
  // Fails only by the deadline: the full instance passed every check, and
  // a relaxation is smaller than it.
  BuildLimits timeOnly;
  timeOnly.clock = limits.clock;
  return deriveOrderPairs(seed, out, timeOnly).empty();
}
