//===- Greedy.cpp - Portfolio driver of the greedy scheduler --------------===//
//
// scheduleGreedy() runs every applicable priority rule of the portfolio at
// one and (if asked) several sub-blocks per block; on large problems the
// rules are first ranked on fewer microbatches. It then improves the rules'
// schedules, best first and within a work budget, by promoting one at a time
// the blocks that their critical path says were held up by their device,
// keeping a promotion only if the makespan (then the sum of block end times)
// drops. The winner is timed by simulate(), which agrees with the engine (or
// else the rules are ranked by simulate()); unless told otherwise its rule
// is also tried with blocks cut in two; the result is compared with the
// static baselines that apply and fit the memory budget.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/Greedy.h"

#include "GreedyEngine.h"
#include "crosspipe/Schedule/Baselines.h"
#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/LowerBound.h"
#include "crosspipe/Schedule/Simulator.h"

#include <algorithm>
#include <cmath>
#include <memory>

using namespace crosspipe::sched;
using namespace crosspipe::sched::detail;

namespace {

/// Engine work (blocks timed) the improvement loop may spend on a problem,
/// so large problems stay fast; small ones are capped by the option.
constexpr double kImproveBlockBudget = 9e4;
/// Above this many blocks per run, the rules are first ranked on the same
/// problem with fewer microbatches (at least two per device), and only the
/// best kScreenKeep of them run at full size. Extra microbatches only lengthen
/// the steady state, where the rules keep their order: on 144 problems of 16
/// to 64 devices the screened winner was the full-size winner in 143 and
/// 0.09% off in the last.
constexpr double kScreenBlocks = 2e4;
constexpr size_t kScreenKeep = 1;
/// Replayed blocks the local search over the winner's orders may spend:
/// about 4,000 replays of a 4-device, 8-microbatch wave; a problem with more
/// than 4,000 blocks per run gets too few replays to matter and none.
constexpr double kLocalBlockBudget = 8e5;
constexpr int kLocalMinEvaluations = 200;
/// Engine blocks the pilot method may time (each of its steps runs the rule
/// once per candidate): about 25 passes over a 4-device, 8-microbatch wave
/// (192 blocks), one over a 16-chunk, 16-microbatch wave (768 blocks), none
/// above about 1,400 blocks per run (a pass needs at least blocks^2).
constexpr double kPilotBlockBudget = 2e6;
/// The starts (rules, best first) the pilot method may run from.
constexpr size_t kPilotStarts = 4;
/// GreedyOptions::autoSubBlocks: the part count tried, and the most blocks
/// one run at that count may have (64 devices x 512 microbatches, split,
/// in two parts: 196,608).
constexpr int kAutoParts = 2;
constexpr double kAutoPartsBlocks = 2e5;

double blocksPerRun(const Problem &problem, int parts) {
  return double(problem.numChunks()) * problem.numMicrobatches *
         BlockGraph(problem).kindsPerChunk() * parts;
}

/// A (rule, sub-block count) run: where the improvement loop may start.
struct Start {
  int rule = -1;
  int engine = -1;
  double makespanMs = INFINITY;
  double sumEndMs = INFINITY;
  /// Promotion candidates from its critical path.
  std::vector<int> moves;
};

struct Best {
  bool valid = false;
  Schedule schedule;
  double makespanMs = INFINITY;
  double sumEndMs = INFINITY;
  int rule = -1;
  int engine = -1;
  int promotions = 0;
  /// Block moves the local search kept (searchOrders).
  int moves = 0;
  /// Blocks the pilot method chose against the rule (pilotSearch).
  int pilots = 0;

  /// Takes `r` if it is better; otherwise hands its storage back.
  bool offer(EngineResult &r, GreedyEngine &owner, int ruleIndex,
             int engineIndex, int promoted) {
    if (valid && !better(r.makespanMs, r.sumEndMs, makespanMs, sumEndMs)) {
      owner.recycle(std::move(r.schedule));
      return false;
    }
    take(r, ruleIndex, engineIndex, promoted);
    return true;
  }

  void take(EngineResult &r, int ruleIndex, int engineIndex, int promoted) {
    valid = true;
    schedule = std::move(r.schedule);
    makespanMs = r.makespanMs;
    sumEndMs = r.sumEndMs;
    rule = ruleIndex;
    engine = engineIndex;
    promotions = promoted;
    moves = 0;
    pilots = 0;
  }
};

} // namespace

bool detail::deviceFitsBudget(const Problem &problem, int d,
                              const std::vector<Block> &order) {
  uint64_t cap = problem.memoryLimit(d);
  return cap == kUnlimited || peakMemory(problem, order) <= cap;
}

bool detail::fitsBudget(const Problem &problem, const Schedule &schedule) {
  for (int d = 0, e = int(schedule.order.size()); d < e; ++d) {
    if (problem.memoryLimit(d) == kUnlimited)
      continue;
    for (const Block &b : schedule.order[d])
      if (b.chunk < 0 || b.chunk >= problem.numChunks())
        return false;
    if (!deviceFitsBudget(problem, d, schedule.order[d]))
      return false;
  }
  return true;
}

namespace {

/// Promotes, one at a time, the held-up blocks on the critical path of the
/// start's schedule, keeping a promotion when the makespan (then the sum of
/// end times) drops below the start's; spends at most `runs` engine runs.
/// Returns the runs spent.
int improve(GreedyEngine &engine, const GreedyRule &rule, int ruleIndex,
            int engineIndex, Start &start, size_t logicalBlocks, int runs,
            Best &best) {
  std::vector<float> boosts(logicalBlocks, 0.0f);
  double makespan = start.makespanMs, sumEnd = start.sumEndMs;
  int promoted = 0, spent = 0;
  std::vector<int> moves = std::move(start.moves);
  for (size_t next = 0; spent < runs && next < moves.size(); ++spent) {
    float &slot = boosts[moves[next]];
    slot += 1.0f;
    engine.setBoosts(boosts);
    EngineResult r = engine.run(rule);
    if (r.ok && better(r.makespanMs, r.sumEndMs, makespan, sumEnd)) {
      makespan = r.makespanMs;
      sumEnd = r.sumEndMs;
      ++promoted;
      engine.delayedCriticalBlocks(r.schedule, moves);
      next = 0;
      best.offer(r, engine, ruleIndex, engineIndex, promoted);
    } else {
      slot -= 1.0f;
      if (r.ok)
        engine.recycle(std::move(r.schedule));
      ++next;
    }
  }
  engine.setBoosts({});
  return spent;
}

/// Indices of the `keep` rules with the best makespans on `problem` cut to
/// fewer microbatches (ties keep the rule order).
std::vector<int> screenRules(const Problem &problem,
                             const std::vector<GreedyRule> &rules,
                             const std::vector<int> &partsList, size_t keep) {
  Problem small = problem;
  double scale = kScreenBlocks / blocksPerRun(problem, partsList.back());
  small.numMicrobatches =
      std::max(2 * problem.numDevices(), int(problem.numMicrobatches * scale));
  small.numMicrobatches =
      std::min(small.numMicrobatches, problem.numMicrobatches);
  std::vector<std::pair<double, int>> ranked;
  for (int i = 0, n = int(rules.size()); i < n; ++i)
    ranked.push_back({INFINITY, i});
  for (int parts : partsList) {
    GreedyEngine engine(small, parts);
    for (auto &[bestMs, i] : ranked) {
      EngineResult r = engine.run(rules[i]);
      if (r.ok)
        bestMs = std::min(bestMs, r.makespanMs);
      engine.recycle(std::move(r.schedule));
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](auto &a, auto &b) { return a.first < b.first; });
  std::vector<int> kept;
  for (size_t i = 0; i < ranked.size() && i < keep; ++i)
    kept.push_back(ranked[i].second);
  std::sort(kept.begin(), kept.end());
  return kept;
}

/// The rules `options` names, else every built-in rule that applies to
/// `problem`; "" or why not.
std::string selectRules(const Problem &problem, const GreedyOptions &options,
                        std::vector<GreedyRule> &rules) {
  std::vector<GreedyRule> all = builtinGreedyRules();
  for (const std::string &name : options.rules) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const GreedyRule &r) { return r.name == name; });
    if (it == all.end()) {
      std::string known;
      for (const GreedyRule &r : all)
        known += (known.empty() ? "" : ", ") + r.name;
      return "unknown greedy rule '" + name + "' (known: " + known + ")";
    }
    rules.push_back(*it);
  }
  if (options.rules.empty())
    for (const GreedyRule &r : all)
      if (ruleApplies(r, problem))
        rules.push_back(r);
  return "";
}

/// One scheduleGreedy() call: the rules at every sub-block count, their
/// improvement, and the check against simulate().
class Portfolio {
public:
  Portfolio(const Problem &problem, std::vector<GreedyRule> rules,
            const GreedyOptions &options);
  /// Runs every rule at every sub-block count; "" or why none worked.
  std::string runRules();
  /// Improves the starts, best first, while the budget lasts.
  void improveStarts();
  /// Whether the best schedule's makespan is the lower bound's: then no
  /// search can improve it.
  bool provenOptimal();
  /// Runs the pilot method from the best starts of whole blocks, within
  /// kPilotBlockBudget (pilotSearch).
  void searchPilot();
  /// Moves blocks of the best schedule on their devices while that helps
  /// (searchOrders), within kLocalBlockBudget.
  void searchLocally();
  /// Times the best schedule by simulate(), which has the last word; "" or
  /// why it was rejected.
  std::string simulateBest(SimResult &sim);
  /// Moves the winner into `result`.
  void fill(const SimResult &sim, GreedyResult &result);
  /// GreedyOptions::autoSubBlocks: the winning rule in kAutoParts parts,
  /// taken if it simulates better than `result`.
  void tryMoreParts(GreedyResult &result);

private:
  const Problem &problem;
  std::vector<GreedyRule> rules;
  std::vector<int> partsList;
  int improveIterations;
  std::vector<std::unique_ptr<GreedyEngine>> engines;
  std::vector<Start> starts;
  Best best;
  /// computeLowerBound's makespan, once needed (-1 before).
  double boundMs = -1;
};

Portfolio::Portfolio(const Problem &problem, std::vector<GreedyRule> all,
                     const GreedyOptions &options)
    : problem(problem), rules(std::move(all)), partsList({options.subBlocks}),
      improveIterations(options.improveIterations) {
  if (options.subBlocks > 1 && !options.exactSubBlocks)
    partsList = {1, options.subBlocks};
  if (rules.size() > kScreenKeep &&
      blocksPerRun(problem, partsList.back()) > kScreenBlocks) {
    std::vector<GreedyRule> kept;
    for (int i : screenRules(problem, rules, partsList, kScreenKeep))
      kept.push_back(rules[i]);
    rules.swap(kept);
  }
}

std::string Portfolio::runRules() {
  // The critical path of each run is read right away, while the engine
  // still holds that run's state.
  std::string firstError;
  for (int parts : partsList) {
    engines.push_back(std::make_unique<GreedyEngine>(problem, parts));
    GreedyEngine &engine = *engines.back();
    if (!engine.setupError().empty())
      return engine.setupError();
    int e = int(engines.size()) - 1;
    for (int i = 0, n = int(rules.size()); i < n; ++i) {
      EngineResult r = engine.run(rules[i]);
      if (!r.ok) {
        if (firstError.empty())
          firstError = r.error;
        continue;
      }
      Start start;
      start.rule = i;
      start.engine = e;
      start.makespanMs = r.makespanMs;
      start.sumEndMs = r.sumEndMs;
      if (improveIterations > 0)
        engine.delayedCriticalBlocks(r.schedule, start.moves);
      starts.push_back(std::move(start));
      best.offer(r, engine, i, e, 0);
    }
  }
  if (!best.valid)
    return firstError.empty() ? "no greedy rule selected" : firstError;
  return "";
}

void Portfolio::improveStarts() {
  std::stable_sort(starts.begin(), starts.end(), [](auto &a, auto &b) {
    return better(a.makespanMs, a.sumEndMs, b.makespanMs, b.sumEndMs);
  });
  size_t logical = size_t(problem.numChunks()) * problem.numMicrobatches * 3;
  double runBudget = improveIterations;
  double blockBudget = kImproveBlockBudget;
  for (Start &start : starts) {
    double blocks = blocksPerRun(problem, partsList[start.engine]);
    int runs = int(std::min(runBudget, blockBudget / blocks));
    if (runs <= 0)
      break;
    int spent = improve(*engines[start.engine], rules[start.rule], start.rule,
                        start.engine, start, logical, runs, best);
    runBudget -= spent;
    blockBudget -= spent * blocks;
  }
}

bool Portfolio::provenOptimal() {
  if (boundMs < 0)
    boundMs = computeLowerBound(problem, partsList.back()).makespanMs;
  return !tolerantLess(boundMs, best.makespanMs);
}

void Portfolio::searchPilot() {
  // Whole-block runs only; the bound is computed once a pass fits.
  double whole = blocksPerRun(problem, 1);
  if (kPilotBlockBudget < whole * whole || provenOptimal())
    return;
  double budget = kPilotBlockBudget;
  size_t tried = 0;
  for (const Start &start : starts) {
    double blocks = blocksPerRun(problem, partsList[start.engine]);
    if (tried == kPilotStarts || budget < blocks * blocks)
      break;
    if (partsList[start.engine] != 1)
      continue;
    ++tried;
    GreedyEngine &engine = *engines[start.engine];
    EngineResult r;
    int chosen = pilotSearch(engine, problem, rules[start.rule], r, budget);
    if (chosen > 0 && best.offer(r, engine, start.rule, start.engine, 0))
      best.pilots = chosen;
    else if (chosen <= 0 && r.ok)
      engine.recycle(std::move(r.schedule));
  }
}

void Portfolio::searchLocally() {
  double blocks = blocksPerRun(problem, partsList[best.engine]);
  int evaluations = int(kLocalBlockBudget / blocks);
  if (evaluations < kLocalMinEvaluations || provenOptimal())
    return;
  EngineResult current;
  current.ok = true;
  current.schedule = std::move(best.schedule);
  current.makespanMs = best.makespanMs;
  current.sumEndMs = best.sumEndMs;
  int moves =
      searchOrders(*engines[best.engine], problem, current, evaluations);
  best.schedule = std::move(current.schedule);
  best.makespanMs = current.makespanMs;
  best.sumEndMs = current.sumEndMs;
  best.moves += moves;
}

std::string Portfolio::simulateBest(SimResult &sim) {
  // The engine models the simulator exactly; simulate() has the last word.
  sim = simulate(problem, best.schedule);
  if (!sim.ok)
    return "internal error: simulate() rejected the greedy schedule: " +
           sim.error;
  if (!tolerantLess(sim.makespanMs, best.makespanMs) &&
      !tolerantLess(best.makespanMs, sim.makespanMs))
    return "";
  // The problem uses something the engine does not time the way the
  // simulator does; rank the rules' own schedules by simulate() instead.
  for (const Start &start : starts) {
    GreedyEngine &engine = *engines[start.engine];
    EngineResult r = engine.run(rules[start.rule]);
    SimResult s = r.ok ? simulate(problem, r.schedule) : SimResult();
    if (s.ok && tolerantLess(s.makespanMs, sim.makespanMs)) {
      best.take(r, start.rule, start.engine, 0);
      sim = std::move(s);
    } else if (r.ok) {
      engine.recycle(std::move(r.schedule));
    }
  }
  return "";
}

void Portfolio::fill(const SimResult &sim, GreedyResult &result) {
  result.ok = true;
  result.makespanMs = result.greedyMakespanMs = sim.makespanMs;
  result.predictedMakespanMs = best.makespanMs;
  result.rule = rules[best.rule].name;
  if (partsList[best.engine] > 1)
    result.rule += "/s" + std::to_string(partsList[best.engine]);
  if (best.promotions > 0)
    result.rule += "+cp" + std::to_string(best.promotions);
  if (best.pilots > 0)
    result.rule += "+pilot" + std::to_string(best.pilots);
  if (best.moves > 0)
    result.rule += "+ls" + std::to_string(best.moves);
  result.schedule = std::move(best.schedule);
  result.schedule.algorithm = "greedy:" + result.rule;
}

void Portfolio::tryMoreParts(GreedyResult &result) {
  if (partsList != std::vector<int>{1} ||
      blocksPerRun(problem, kAutoParts) > kAutoPartsBlocks)
    return;
  // One run of the winning rule: ranking the cut and whole runs on fewer
  // microbatches (as the rules are ranked) missed the largest gains, which
  // build up over the steady state.
  const GreedyRule &rule = rules[best.rule];
  GreedyEngine engine(problem, kAutoParts);
  EngineResult r = engine.run(rule, result.makespanMs);
  // The engine times as the simulator does: only a winner is simulated.
  if (!r.ok || !tolerantLess(r.makespanMs, result.makespanMs))
    return;
  // A winner gets the improvement loop too, within the same block budget
  // as the rules' (none on the largest problems).
  Best cut;
  double blocks = blocksPerRun(problem, kAutoParts);
  int runs =
      int(std::min(double(improveIterations), kImproveBlockBudget / blocks));
  if (runs > 0) {
    Start start;
    start.rule = best.rule;
    start.makespanMs = r.makespanMs;
    start.sumEndMs = r.sumEndMs;
    engine.delayedCriticalBlocks(r.schedule, start.moves);
    cut.take(r, best.rule, -1, 0);
    size_t logical = size_t(problem.numChunks()) * problem.numMicrobatches * 3;
    improve(engine, rule, best.rule, -1, start, logical, runs, cut);
  } else {
    cut.take(r, best.rule, -1, 0);
  }
  SimResult sim = simulate(problem, cut.schedule);
  if (!sim.ok || !tolerantLess(sim.makespanMs, result.makespanMs))
    return;
  result.makespanMs = result.greedyMakespanMs = sim.makespanMs;
  result.predictedMakespanMs = cut.makespanMs;
  result.rule = rule.name + "/s" + std::to_string(kAutoParts);
  if (cut.promotions > 0)
    result.rule += "+cp" + std::to_string(cut.promotions);
  result.schedule = std::move(cut.schedule);
  result.schedule.algorithm = "greedy:" + result.rule;
}

/// Replaces the greedy's schedule in `result` by each static baseline that
/// applies, fits the budget and simulates better. Baselines are timed by a
/// replay first, which agrees with the simulator and is several times
/// faster; only one that would win is simulated.
void preferBaselines(const Problem &problem, GreedyResult &result) {
  GreedyEngine engine(problem, 1);
  for (BaselineKind kind : allBaselineKinds()) {
    BaselineResult b = buildBaseline(problem, kind);
    if (!b.ok || !fitsBudget(problem, b.schedule))
      continue;
    EngineResult replayed =
        engine.replay(std::move(b.schedule), result.makespanMs);
    b.schedule = std::move(replayed.schedule);
    if (replayed.error == "cut off" ||
        (replayed.ok && !tolerantLess(replayed.makespanMs, result.makespanMs)))
      continue;
    SimResult bs = simulate(problem, b.schedule);
    if (!bs.ok || !tolerantLess(bs.makespanMs, result.makespanMs))
      continue;
    result.makespanMs = bs.makespanMs;
    result.rule = std::string("baseline:") + baselineName(kind);
    result.schedule = std::move(b.schedule);
  }
}

} // namespace

std::vector<std::string> crosspipe::sched::greedyRuleNames() {
  std::vector<std::string> names;
  for (const GreedyRule &r : builtinGreedyRules())
    names.push_back(r.name);
  return names;
}

GreedyResult crosspipe::sched::scheduleGreedy(const Problem &problem,
                                              const GreedyOptions &options) {
  GreedyResult result;
  if (options.subBlocks < 1) {
    result.error = "subBlocks must be at least 1, got " +
                   std::to_string(options.subBlocks);
    return result;
  }
  std::vector<GreedyRule> rules;
  result.error = GreedyEngine::checkProblem(problem, options.subBlocks);
  if (result.error.empty())
    result.error = selectRules(problem, options, rules);
  if (!result.error.empty())
    return result;
  Portfolio portfolio(problem, std::move(rules), options);
  result.error = portfolio.runRules();
  if (!result.error.empty())
    return result;
  portfolio.improveStarts();
  if (options.pilot)
    portfolio.searchPilot();
  if (options.localSearch)
    portfolio.searchLocally();
  SimResult sim;
  result.error = portfolio.simulateBest(sim);
  if (!result.error.empty())
    return result;
  portfolio.fill(sim, result);
  if (options.autoSubBlocks && options.subBlocks == 1 &&
      !options.exactSubBlocks)
    portfolio.tryMoreParts(result);
  if (options.includeBaselines)
    preferBaselines(problem, result);
  return result;
}
