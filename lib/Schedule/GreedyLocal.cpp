//===- GreedyLocal.cpp - Local search over the greedy's block orders ------===//
//
// The priority rules decide every block by what is known at its start time,
// so a rule can fill a device with blocks that later hold up a message on
// the slow link, or start a D one slot before the F that the next device was
// waiting for. This pass repairs such decisions after the fact: it moves one
// block at a time a few positions earlier or later on its device and keeps
// the move when the replayed schedule (GreedyEngine::replay, the simulator's
// timing) has a smaller makespan, or the same makespan and a smaller sum of
// block end times. Moves never reorder two blocks of one (chunk, kind) or of
// one (chunk, microbatch), so dependencies on a device and the microbatch
// order per kind stay intact; a move that breaks the device's memory budget
// or makes the orders deadlock is dropped.
//
//===----------------------------------------------------------------------===//

#include "GreedyEngine.h"

#include <algorithm>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

namespace {

/// How far (in positions) one move may carry a block.
constexpr int kMaxShift = 4;

/// True if `a` and `b` must keep their relative order on a device.
bool tied(const Block &a, const Block &b) {
  return a.chunk == b.chunk && (a.kind == b.kind || a.mb == b.mb);
}

class Search {
public:
  Search(GreedyEngine &engine, const Problem &problem, EngineResult &best,
         int budget)
      : engine(engine), problem(problem), best(best), budget(budget) {}

  /// Passes over every device until one finds nothing or the budget ends.
  int run() {
    bool improved = true;
    while (improved && budget > 0) {
      improved = false;
      for (int d = 0, e = int(best.schedule.order.size()); d < e; ++d)
        for (int i = 1; budget > 0 && i < int(best.schedule.order[d].size());
             ++i)
          improved |= tryMoves(d, i);
    }
    return kept;
  }

private:
  /// Block i moved up to kMaxShift earlier, else block i - 1 that far later.
  bool tryMoves(int d, int i) {
    // A replay hands the orders back in new storage: no references across.
    auto at = [&](int pos) -> const Block & {
      return best.schedule.order[d][pos];
    };
    int n = int(best.schedule.order[d].size());
    for (int k = 1; k <= kMaxShift && i - k >= 0 && budget > 0; ++k) {
      if (tied(at(i - k), at(i)))
        break;
      if (tryRotate(d, i - k, i, /*forward=*/false))
        return true;
    }
    int j = i - 1;
    for (int k = 1; k <= kMaxShift && j + k < n && budget > 0; ++k) {
      if (tied(at(j), at(j + k)))
        break;
      if (tryRotate(d, j, j + k, /*forward=*/true))
        return true;
    }
    return false;
  }

  /// Moves o[hi] to position lo (or, forward, o[lo] to position hi); keeps
  /// the move if it is better, else undoes it.
  bool tryRotate(int d, int lo, int hi, bool forward) {
    auto rotate = [&](bool fwd) {
      std::vector<Block> &o = best.schedule.order[d];
      if (fwd)
        std::rotate(o.begin() + lo, o.begin() + lo + 1, o.begin() + hi + 1);
      else
        std::rotate(o.begin() + lo, o.begin() + hi, o.begin() + hi + 1);
    };
    rotate(forward);
    if (deviceFitsBudget(problem, d, best.schedule.order[d])) {
      --budget;
      // A move can only win with a makespan no larger than the best one's.
      double cutoff = best.makespanMs * (1 + 1e-9) + 1e-9;
      EngineResult r = engine.replay(std::move(best.schedule), cutoff);
      bool win = r.ok && better(r, best);
      if (win) {
        best = std::move(r);
        ++kept;
        return true;
      }
      best.schedule = std::move(r.schedule);
    }
    rotate(!forward);
    return false;
  }

  GreedyEngine &engine;
  const Problem &problem;
  EngineResult &best;
  int budget;
  int kept = 0;
};

} // namespace

int detail::searchOrders(GreedyEngine &engine, const Problem &problem,
                         EngineResult &best, int maxEvaluations) {
  return Search(engine, problem, best, maxEvaluations).run();
}
