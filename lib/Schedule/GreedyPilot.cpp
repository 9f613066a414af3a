//===- GreedyPilot.cpp - The pilot method over a rule's decisions ---------===//
//
// A priority rule decides each block from what it sees when the device
// frees up. The pilot method (Duin and Voss, 1999) looks further: it fixes
// the schedule one block at a time, in the order the blocks start, and at
// each step tries every block the device could run next, completes each
// trial with the rule itself (GreedyEngine::runFrom), and keeps the block
// whose completed schedule is best (makespan, then sum of end times; the
// rule's own choice wins ties). Every completed schedule is a schedule of
// the problem, so the method can stop at any step with the best one so far.
// It costs about (blocks x candidates) rule runs per pass, so the portfolio
// gives it a block budget that only small problems fit.
//
// On the Figure 8 wave setting this is what reaches the solver's optima
// where single-block moves (GreedyLocal.cpp) stall one block short: the
// better schedules move several devices' forwards earlier together, which
// the completion by the rule does and a single move on one device cannot.
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

namespace {

class Pilot {
public:
  Pilot(GreedyEngine &engine, const Problem &problem, const GreedyRule &rule,
        double &blockBudget)
      : engine(engine), problem(problem), rule(rule), graph(problem),
        budget(blockBudget) {
    prefix.order.resize(problem.numDevices());
    done.assign(size_t(problem.numChunks()) * 3, 0);
    total = size_t(problem.numChunks()) * problem.numMicrobatches *
            graph.kindsPerChunk();
  }

  /// One pass; `current` becomes its schedule. Returns the steps whose
  /// block differs from the rule's, or -1 if the rule itself fails.
  int run(EngineResult &current) {
    current = engine.runFrom(rule, prefix);
    if (!current.ok)
      return -1;
    startMs = engine.lastStarts();
    int changed = 0;
    for (size_t step = 0; step < total && budget > 0; ++step) {
      int d = nextDevice(current);
      if (d < 0)
        break;
      if (decide(d, current))
        ++changed;
    }
    return changed;
  }

private:
  /// The device whose first block not yet fixed starts earliest in
  /// `current` (ties: the lower device), or -1 when all are fixed.
  int nextDevice(const EngineResult &current) const {
    int best = -1;
    double bestStart = INFINITY;
    for (int d = 0, e = problem.numDevices(); d < e; ++d) {
      size_t i = prefix.order[d].size();
      if (i >= current.schedule.order[d].size())
        continue;
      if (startMs[d][i] < bestStart) {
        bestStart = startMs[d][i];
        best = d;
      }
    }
    return best;
  }

  int &count(const Block &b) {
    return done[size_t(b.chunk) * 3 + BlockGraph::slotOf(b.kind)];
  }

  /// Whether every input of `b` on its own device is already fixed, so
  /// that `b` can be the device's next block.
  bool inputsFixed(int d, const Block &b) {
    for (const Step &in : graph.inputsOf(Step{b.kind, b.chunk}))
      if (problem.chunks[in.chunk].device == d &&
          count(Block{in.kind, in.chunk, b.mb}) <= b.mb)
        return false;
    return true;
  }

  /// Fixes device d's next block: the candidate whose completion by the
  /// rule is best. Returns true if that is not the rule's own choice.
  bool decide(int d, EngineResult &current) {
    std::vector<Block> &order = prefix.order[d];
    Block own = current.schedule.order[d][order.size()];
    Block pick = own;
    for (int c : problem.chunksOnDevice(d))
      for (int slot = 0; slot < graph.kindsPerChunk() && budget > 0; ++slot) {
        Block b{graph.kindOfSlot(slot), c, 0};
        b.mb = count(b);
        if (b.mb >= problem.numMicrobatches || b == own || !inputsFixed(d, b))
          continue;
        order.push_back(b);
        // Only a completion at least as short as the best can win.
        double cutoff = current.makespanMs * (1 + 1e-9) + 1e-9;
        EngineResult r = engine.runFrom(rule, prefix, cutoff);
        budget -= double(total);
        order.pop_back();
        if (!r.ok || !better(r, current) || !fitsBudget(problem, r.schedule))
          continue;
        current = std::move(r);
        startMs = engine.lastStarts();
        pick = b;
      }
    order.push_back(pick);
    ++count(pick);
    return !(pick == own);
  }

  GreedyEngine &engine;
  const Problem &problem;
  const GreedyRule &rule;
  BlockGraph graph;
  double &budget;
  size_t total = 0;
  Schedule prefix;
  /// The engine's start times of `current`'s blocks ([d][i]).
  std::vector<std::vector<double>> startMs;
  /// Blocks fixed per (chunk, slot): the next one's microbatch.
  std::vector<int> done;
};

} // namespace

int detail::pilotSearch(GreedyEngine &engine, const Problem &problem,
                        const GreedyRule &rule, EngineResult &result,
                        double &blockBudget) {
  return Pilot(engine, problem, rule, blockBudget).run(result);
}
