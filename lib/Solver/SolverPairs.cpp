//===- SolverPairs.cpp - Open orders on each device and their closure -----===//
//
// Two blocks of one device need an order Boolean only if no chain of
// precedences already orders them, so the transitive closure of the
// precedence graph (over compute and message tasks; every arc's lag covers
// its source's duration, so a path really means "ends before") decides which
// pairs stay open. Transitivity between open orders is stated as clauses
// forbidding 3-cycles: any tournament without 3-cycles is a total order, and
// the clauses let one decision propagate to the blocks around it instead of
// waiting for the time bounds to catch up. A budget shared by several chunks
// is restated in the same terms (which activations are held when an F
// starts), so that it prunes orders as they are decided. The closure and
// the clauses grow with the square and the cube of a device's blocks, so
// both check the deadline as they go, and the model's memory is estimated
// device by device against the cap.
//
//===----------------------------------------------------------------------===//

#include "SolverInstance.h"

#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>

using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;

namespace {

/// Graphs beyond this many tasks would need more than ~60 MB of closure.
constexpr size_t kMaxClosureTasks = 22000;
/// Past this many ternary transitivity clauses only the binary ones (a
/// decision against one fixed order) are kept; the rest is left to the
/// unary resources and the time bounds.
constexpr size_t kMaxTernaryClauses = 400000;

/// Estimated bytes per item of the model: its stored form plus what Gecode
/// posts for it, times the copies a search keeps alive (its root, the
/// clones on the search path, the probes'). Calibrated on the peak RSS of
/// pipelines of 16 x 64 and 32 x 128 (clauses dominate there).
constexpr uint64_t kSpaceCopies = 3;
constexpr uint64_t kBytesPerClause = sizeof(Clause) + kSpaceCopies * 130;
constexpr uint64_t kBytesPerPair = 12 + kSpaceCopies * 150;
constexpr uint64_t kBytesPerArc = 12 + kSpaceCopies * 60;
constexpr uint64_t kBytesPerTask = 60 + kSpaceCopies * 50;
constexpr uint64_t kBytesPerMemoryTerm = 24 + kSpaceCopies * 40;
/// Devices' rows of the closure are checked against the deadline this often.
constexpr size_t kRowsPerCheck = 256;

std::string memoryCapMessage(uint64_t estimate, uint64_t cap) {
  return "the model would need about " + std::to_string(estimate >> 20) +
         " MiB, more than the memory limit of " + std::to_string(cap >> 20) +
         " MiB (SolverOptions::memoryLimitMiB); the search was skipped";
}

class Closure {
public:
  /// Reachability over the tasks [0, n) that are not collectives; why it
  /// cannot be computed, or "".
  std::string compute(const Instance &inst, size_t n,
                      const BuildLimits &limits);
  bool reaches(int from, int to) const {
    return bits[size_t(from) * words + (to >> 6)] >> (to & 63) & 1;
  }

private:
  size_t words = 0;
  std::vector<uint64_t> bits;
};

std::string Closure::compute(const Instance &inst, size_t n,
                             const BuildLimits &limits) {
  words = (n + 63) / 64;
  if (limits.maxBytes && n * words * 8 > limits.maxBytes)
    return memoryCapMessage(n * words * 8, limits.maxBytes);
  bits.assign(n * words, 0);
  std::vector<std::vector<int>> succ(n);
  std::vector<int> indegree(n, 0);
  for (const Arc &a : inst.arcs)
    if (size_t(a.from) < n && size_t(a.to) < n) {
      succ[a.from].push_back(a.to);
      ++indegree[a.to];
    }
  std::vector<int> topo;
  topo.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (indegree[i] == 0)
      topo.push_back(int(i));
  for (size_t head = 0; head < topo.size(); ++head)
    for (int s : succ[topo[head]])
      if (--indegree[s] == 0)
        topo.push_back(s);
  if (topo.size() != n)
    return "the precedences of the problem form a cycle";
  size_t rows = 0;
  for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
    if (++rows % kRowsPerCheck == 0 && limits.expired())
      return kOutOfTime;
    uint64_t *row = &bits[size_t(*it) * words];
    for (int s : succ[*it]) {
      row[s >> 6] |= uint64_t(1) << (s & 63);
      const uint64_t *srow = &bits[size_t(s) * words];
      for (size_t w = 0; w < words; ++w)
        row[w] |= srow[w];
    }
  }
  return "";
}

/// The order of x and y on their device: fixed by the closure, or pair p.
struct Relation {
  enum Kind : uint8_t { Before, After, Open } kind = Open;
  int pair = -1;
  /// For Open: the pair's Boolean means "x first" when true.
  bool direct = true;
};

/// "x before y" as a literal; nullopt-like flags for fixed relations.
struct Term {
  bool fixedTrue = false;
  bool fixedFalse = false;
  Literal lit;
};

Term before(const Relation &r) {
  Term t;
  if (r.kind == Relation::Before)
    t.fixedTrue = true;
  else if (r.kind == Relation::After)
    t.fixedFalse = true;
  else
    t.lit = Literal{r.pair, r.direct};
  return t;
}

/// The transitivity clauses found so far. Ternary ones are only stored up
/// to the limit past which all of them are dropped anyway, but counted.
struct Clauses {
  std::vector<Clause> binary, ternary;
  size_t ternaryCount = 0;
  bool keepTernary() const { return ternaryCount <= kMaxTernaryClauses; }
  size_t kept() const {
    return binary.size() + (keepTernary() ? ternaryCount : 0);
  }
};

/// Clause forbidding the cycle "x<y, y<z, z<x": one of them is false.
void forbidCycle(const Term &a, const Term &b, const Term &c,
                 Clauses &clauses) {
  Clause clause;
  for (const Term *t : {&a, &b, &c}) {
    if (t->fixedFalse)
      return; // The cycle is already broken.
    if (!t->fixedTrue)
      clause.lits[clause.size++] = Literal{t->lit.pair, !t->lit.value};
  }
  // Closure is transitive, so at least two links of a cycle stay open.
  if (clause.size == 2) {
    clauses.binary.push_back(clause);
  } else if (clause.size == 3) {
    if (++clauses.ternaryCount <= kMaxTernaryClauses)
      clauses.ternary.push_back(clause);
    else
      clauses.ternary = {}; // All dropped at the end: free them now.
  }
}

/// At the start of F(x) the activations held are those whose F ran first
/// and whose release did not end before it. An F may start several holding
/// intervals (the part of the activation its D frees, and what its W
/// keeps): one check per F, with all of them as its own need. A recomputing
/// backward starts intervals too and is checked the same way.
template <typename Before>
void addMemoryChecks(const MemoryGroup &g, Before before, Instance &inst) {
  size_t n = g.first.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && g.first[i - 1] == g.first[i])
      continue; // Checked with the F's first interval.
    MemoryCheck check;
    check.capacity = g.capacity;
    for (size_t j = i; j < n && g.first[j] == g.first[i]; ++j)
      check.capacity -= g.height[j];
    for (size_t j = 0; j < n; ++j) {
      if (g.first[j] == g.first[i])
        continue;
      Term started = before(g.first[j], g.first[i]);
      // A piece released by the block that starts here (what a recomputing
      // backward holds from F) is held at its start.
      Term released;
      if (g.last[j] == g.first[i])
        released.fixedFalse = true;
      else
        released = before(g.last[j], g.first[i]);
      if (started.fixedFalse || released.fixedTrue)
        continue;
      MemoryTerm term;
      term.height = g.height[j];
      if (!started.fixedTrue)
        term.all.push_back(started.lit);
      if (!released.fixedFalse)
        term.all.push_back(Literal{released.lit.pair, !released.lit.value});
      check.terms.push_back(std::move(term));
    }
    inst.memoryChecks.push_back(std::move(check));
  }
}

/// Positions in the seed's device orders, by logical block (first part
/// when cut): the preferred value of every order pair.
class SeedOrder {
public:
  explicit SeedOrder(const Schedule &seed) {
    for (const std::vector<Block> &order : seed.order)
      for (int i = 0, e = int(order.size()); i < e; ++i) {
        const Block &b = order[i];
        pos.emplace(std::make_tuple(b.chunk, b.mb, BlockGraph::slotOf(b.kind)),
                    i);
      }
  }
  /// A task the seed lacks keeps its index as its position.
  int positionOf(const Instance &inst, int task) const {
    const Block &b = inst.tasks[task].block;
    auto it = pos.find({b.chunk, b.mb, BlockGraph::slotOf(b.kind)});
    return it == pos.end() ? task : it->second;
  }

private:
  std::map<std::tuple<int, int, int>, int> pos;
};

/// The relation of every two compute tasks of one device: fixed by the
/// closure, or a new order pair of the instance.
class DeviceRelations {
public:
  DeviceRelations(const std::vector<int> &tasks, const Closure &closure,
                  const SeedOrder &seed, Instance &inst);
  int size() const { return k; }
  const Relation &at(int i, int j) const { return rel[size_t(i) * k + j]; }
  /// "x before y" for two tasks of the device.
  Term beforeTask(int x, int y) { return before(at(indexOf[x], indexOf[y])); }

private:
  int k;
  std::vector<Relation> rel;
  std::map<int, int> indexOf;
};

DeviceRelations::DeviceRelations(const std::vector<int> &tasks,
                                 const Closure &closure, const SeedOrder &seed,
                                 Instance &inst)
    : k(int(tasks.size())), rel(size_t(k) * k) {
  for (int i = 0; i < k; ++i)
    for (int j = i + 1; j < k; ++j) {
      Relation r;
      if (closure.reaches(tasks[i], tasks[j])) {
        r.kind = Relation::Before;
      } else if (closure.reaches(tasks[j], tasks[i])) {
        r.kind = Relation::After;
      } else {
        r.pair = int(inst.pairs.size());
        inst.pairs.push_back({tasks[i], tasks[j],
                              seed.positionOf(inst, tasks[i]) <
                                  seed.positionOf(inst, tasks[j])});
      }
      rel[size_t(i) * k + j] = r;
      Relation back = r;
      if (r.kind == Relation::Before)
        back.kind = Relation::After;
      else if (r.kind == Relation::After)
        back.kind = Relation::Before;
      else
        back.direct = false;
      rel[size_t(j) * k + i] = back;
    }
  for (int i = 0; i < k; ++i)
    indexOf[tasks[i]] = i;
}

/// Forbids both 3-cycles of every triple of the device with at least two
/// open relations (with fewer, the closure already orders it). False when
/// the deadline passed.
bool addTransitivity(const DeviceRelations &rel, Clauses &clauses,
                     const BuildLimits &limits) {
  int k = rel.size();
  for (int i = 0; i < k; ++i) {
    if (limits.expired())
      return false;
    for (int j = i + 1; j < k; ++j) {
      const Relation &ij = rel.at(i, j);
      for (int l = j + 1; l < k; ++l) {
        const Relation &jl = rel.at(j, l);
        const Relation &il = rel.at(i, l);
        int open = (ij.kind == Relation::Open) + (jl.kind == Relation::Open) +
                   (il.kind == Relation::Open);
        if (open < 2)
          continue;
        forbidCycle(before(ij), before(jl), before(rel.at(l, i)), clauses);
        forbidCycle(before(il), before(rel.at(l, j)), before(rel.at(j, i)),
                    clauses);
      }
    }
  }
  return true;
}

/// One sender's messages go in the order their producers end, which is the
/// device order: fixed ones become chain arcs, open ones share the
/// producers' Boolean. Fixed pairs are marked (a = -1) for removal.
void orderSameSenderMessages(int device, DeviceRelations &rel, Instance &inst) {
  for (FifoPair &f : inst.fifo) {
    // Pairs fixed for an earlier device are already marked (a = -1).
    if (f.a < 0 || !f.sameSender || inst.tasks[f.a].device != device)
      continue;
    Term t = rel.beforeTask(inst.tasks[f.a].producer, inst.tasks[f.b].producer);
    if (t.fixedTrue)
      inst.arcs.push_back({f.a, f.b, inst.tasks[f.a].duration});
    else if (t.fixedFalse)
      inst.arcs.push_back({f.b, f.a, inst.tasks[f.b].duration});
    else
      f.byOrder = t.lit;
    if (t.fixedTrue || t.fixedFalse)
      f.a = -1;
  }
}

} // namespace

uint64_t crosspipe::sched::solver::estimateModelBytes(const Instance &inst,
                                                      size_t clauses) {
  uint64_t terms = 0;
  for (const MemoryCheck &check : inst.memoryChecks)
    terms += check.terms.size();
  return clauses * kBytesPerClause +
         (inst.pairs.size() + inst.fifo.size()) * kBytesPerPair +
         inst.arcs.size() * kBytesPerArc + inst.tasks.size() * kBytesPerTask +
         terms * kBytesPerMemoryTerm;
}

namespace {
/// The model's estimated memory once `done` of `total` devices are
/// derived: the build stops as soon as it exceeds the cap, so what it
/// stores stays below the cap and the search never starts. (Devices differ
/// too much, the first ones holding more activations, to project.)
std::string checkMemory(const Instance &inst, const Clauses &clauses,
                        size_t done, size_t total, const BuildLimits &limits) {
  if (!limits.maxBytes)
    return "";
  uint64_t sofar = estimateModelBytes(inst, clauses.kept());
  if (sofar <= limits.maxBytes)
    return "";
  return memoryCapMessage(sofar, limits.maxBytes) + " (after " +
         std::to_string(done) + " of " + std::to_string(total) + " devices)";
}

/// Every device's open pairs, clauses, memory checks and message orders.
std::string deriveDevices(const Closure &closure, const Schedule &seed,
                          Instance &inst, Clauses &clauses,
                          const BuildLimits &limits) {
  SeedOrder seedOrder(seed);
  size_t numDevices = inst.devices.size();
  for (size_t d = 0; d < numDevices; ++d) {
    if (limits.expired())
      return kOutOfTime;
    DeviceRelations rel(inst.devices[d], closure, seedOrder, inst);
    if (!addTransitivity(rel, clauses, limits))
      return kOutOfTime;
    auto beforeOnDevice = [&](int x, int y) { return rel.beforeTask(x, y); };
    for (const MemoryGroup &g : inst.memory)
      if (g.device == int(d))
        addMemoryChecks(g, beforeOnDevice, inst);
    orderSameSenderMessages(int(d), rel, inst);
    if (std::string err = checkMemory(inst, clauses, d + 1, numDevices, limits);
        !err.empty())
      return err;
  }
  return "";
}
} // namespace

std::string
crosspipe::sched::solver::deriveOrderPairs(const Schedule &seed, Instance &inst,
                                           const BuildLimits &limits) {
  size_t n = 0;
  for (const Task &t : inst.tasks)
    if (t.kind != TaskKind::Collective)
      ++n;
  // Collectives are created last, so [0, n) are compute and message tasks.
  if (n > kMaxClosureTasks)
    return "the problem has " + std::to_string(n) +
           " blocks and messages, more than the solver's limit of " +
           std::to_string(kMaxClosureTasks);
  Clauses clauses;
  {
    Closure closure;
    if (std::string err = closure.compute(inst, n, limits); !err.empty())
      return err;
    if (std::string err = deriveDevices(closure, seed, inst, clauses, limits);
        !err.empty())
      return err;
  }
  inst.fifo.erase(std::remove_if(inst.fifo.begin(), inst.fifo.end(),
                                 [](const FifoPair &f) { return f.a < 0; }),
                  inst.fifo.end());
  inst.clauses = std::move(clauses.binary);
  if (clauses.keepTernary())
    inst.clauses.insert(inst.clauses.end(), clauses.ternary.begin(),
                        clauses.ternary.end());
  return "";
}
