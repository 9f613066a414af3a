//===- IssueOrder.cpp - One global order of NCCL operations ---------------===//
//
// The operations are the nodes of a graph whose edges are the consecutive
// pairs of each device's issue order; a global order is a topological order
// of it (Kahn's algorithm). When some nodes are left, every one of them has
// a predecessor among them, so walking predecessors from any of them must
// meet a node twice: the walk between the two visits is a cycle. Also the
// check of a whole plan's programs for the NCCL backend.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Runtime/IssueOrder.h"
#include "PlanInternal.h"

#include <algorithm>
#include <unordered_map>

using namespace crosspipe::rt;

namespace {
struct Edge {
  int from, to;
  IssueEdge issue;
};
} // namespace

bool crosspipe::rt::consistentIssueOrder(
    const std::vector<std::vector<IssuedOp>> &perDevice,
    std::vector<IssueEdge> &cycle) {
  cycle.clear();
  std::unordered_map<uint64_t, int> nodeOf;
  std::vector<Edge> edges;
  for (size_t d = 0; d < perDevice.size(); ++d) {
    const std::vector<IssuedOp> &ops = perDevice[d];
    for (size_t i = 0; i < ops.size(); ++i) {
      int node = nodeOf.emplace(ops[i].key, int(nodeOf.size())).first->second;
      if (i == 0 || ops[i - 1].key == ops[i].key)
        continue;
      edges.push_back({nodeOf.at(ops[i - 1].key), node,
                       {int(d), ops[i - 1].action, ops[i].action}});
    }
  }
  size_t n = nodeOf.size();
  std::vector<int> indegree(n, 0);
  std::vector<std::vector<int>> out(n), in(n);
  for (size_t e = 0; e < edges.size(); ++e) {
    ++indegree[edges[e].to];
    out[edges[e].from].push_back(int(e));
    in[edges[e].to].push_back(int(e));
  }
  std::vector<int> ready;
  for (size_t v = 0; v < n; ++v)
    if (!indegree[v])
      ready.push_back(int(v));
  size_t placed = 0;
  while (!ready.empty()) {
    int v = ready.back();
    ready.pop_back();
    ++placed;
    for (int e : out[v])
      if (--indegree[edges[e].to] == 0)
        ready.push_back(edges[e].to);
  }
  if (placed == n)
    return true;
  // Walk predecessors among the nodes left (indegree > 0) until one repeats.
  int v = int(std::find_if(indegree.begin(), indegree.end(),
                           [](int k) { return k > 0; }) -
              indegree.begin());
  std::vector<int> visitedAt(n, -1);
  std::vector<int> walk; // edges, walked backwards
  while (visitedAt[v] < 0) {
    visitedAt[v] = int(walk.size());
    int e = *std::find_if(in[v].begin(), in[v].end(), [&](int k) {
      return indegree[edges[k].from] > 0;
    });
    walk.push_back(e);
    v = edges[e].from;
  }
  for (size_t k = walk.size(); k-- > size_t(visitedAt[v]);)
    cycle.push_back(edges[walk[k]].issue);
  return false;
}

bool crosspipe::rt::checkNcclIssueOrder(const crosspipe_plan &p,
                                        PlanFault &fault) {
  // A message: its role, boundary and microbatch; a collective: its op,
  // chunk and bucket (ops and roles do not collide).
  auto key = [](int what, int chunk, int index) {
    return (uint64_t(what & 15) << 60) | (uint64_t(uint32_t(chunk)) << 30) |
           uint64_t(uint32_t(index) & 0x3fffffffu);
  };
  std::vector<std::vector<IssuedOp>> ops(p.devices);
  for (int d = 0; d < p.devices; ++d)
    for (int i = 0; i < p.programs[d].count; ++i) {
      const crosspipe_action &a = p.programs[d].actions[i];
      if (isMessage(a.op))
        ops[d].push_back({key(messageRole(a.op), a.chunk, a.mb), i});
      else if (isCollective(a.op))
        ops[d].push_back({key(a.op, a.chunk, a.mb), i});
    }
  std::vector<IssueEdge> cycle;
  if (consistentIssueOrder(ops, cycle))
    return true;
  std::string text = "the NCCL operations are issued in orders no single "
                     "order agrees with (NCCL may hang):";
  const size_t shown = 6;
  for (size_t k = 0; k < cycle.size() && k < shown; ++k) {
    const IssueEdge &e = cycle[k];
    const crosspipe_action *acts = p.programs[e.device].actions;
    text += " device " + std::to_string(e.device) + " issues " +
            describeAction(acts[e.before]) + " before " +
            describeAction(acts[e.after]) + " (action " +
            std::to_string(e.after) + ");";
  }
  text.pop_back();
  if (cycle.size() > shown)
    text += "; " + std::to_string(cycle.size() - shown) + " more in the cycle";
  return setFault(p, PlanFault::Action, cycle[0].device, text, cycle[0].before,
                  fault);
}
