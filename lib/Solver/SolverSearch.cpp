//===- SolverSearch.cpp - Time-sliced search for schedules and bounds -----===//
//
// Every stage reduces to one primitive: branch and bound with restarts
// below a chosen makespan L. Exhausting it without a solution proves that
// nothing is at most L; exhausting it after solutions proves the last one
// optimal; running out of budget proves nothing but may still improve the
// incumbent. Stage 1 asks the same question with propagation only; the
// relaxation stage asks it of one device at a time (SolverRelaxation.cpp).
//
//===----------------------------------------------------------------------===//

#include "SolverSearch.h"

#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Simulator.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <random>

using namespace Gecode;
using namespace crosspipe::sched;
using namespace crosspipe::sched::solver;

namespace {
/// Restart cutoffs are this many failures times the Luby sequence.
constexpr unsigned long kLubyScale = 64;
/// No-goods recorded per restart.
constexpr unsigned kNogoodsLimit = 256;
/// Relaxations keep up to this many neighbouring devices.
constexpr int kMaxWindow = 3;
/// Share of the time after stage 1 given to relaxations.
constexpr double kRelaxShare = 0.3;
/// Share of the time after them given to the main branch and bound.
constexpr double kImproveShare = 0.3;
/// Share of the time after that given to large neighbourhood search.
constexpr double kLnsShare = 0.5;
/// Failures one neighbourhood may spend.
constexpr uint64_t kLnsFailures = 400;
/// Models with more order Booleans and clauses than this read the clock
/// at every search node.
constexpr size_t kSlowNodeItems = 20000;
/// The root's first propagation takes a few times as long as posting it:
/// it is skipped unless this many posting times are left.
constexpr double kPropagationPerPosting = 4;
} // namespace

SearchState::SearchState(const Problem &problem, const Instance &inst,
                         const SolverOptions &options, const SearchClock &clock,
                         SolverResult &result)
    : problem(problem), inst(inst), options(options), clock(clock),
      result(result), phases(std::make_shared<Phases>(inst)) {
  // The seed's model cost, conservatively: the simulator's time rounded up.
  incumbentUnits = int(std::ceil(result.makespanMs * inst.unitsPerMs - 1e-6));
  if (!inst.exactTimes)
    roundingSlack = 3 * int(inst.tasks.size());
  // With exact times every makespan is a whole number of units, so the
  // analytic bound rounds up; it may already close the gap.
  if (inst.exactTimes)
    bound.units = std::max(
        0,
        int(std::ceil(result.analyticLowerBoundMs * inst.unitsPerMs - 1e-6)));
}

uint64_t SearchState::failuresLeft() const {
  if (options.failLimit == 0)
    return 0;
  return options.failLimit > failuresSpent ? options.failLimit - failuresSpent
                                           : 1;
}

void SearchState::record() {
  result.progress.push_back(
      {clock.elapsed(), result.makespanMs,
       std::max(result.lowerBoundMs, result.analyticLowerBoundMs)});
}

void SearchState::raiseBound(int units) {
  if (units <= bound.units)
    return;
  bound.units = units;
  if (!bound.modelBoundValid)
    return;
  // The model's durations may be rounded up by less than a unit each.
  double ms = inst.toMs(std::max(0, units - roundingSlack));
  if (ms > result.lowerBoundMs) {
    result.lowerBoundMs = std::min(ms, result.makespanMs);
    record();
  }
}

void SearchState::adopt(const CpSpace &solution) {
  std::vector<int> starts = solution.startValues();
  incumbentUnits = std::min(incumbentUnits, solution.makespanValue());
  phases->adopt(inst, starts);
  incumbentStarts = starts;
  // Device orders by start time; equal starts only for empty blocks.
  Schedule schedule;
  schedule.algorithm = "optimal";
  schedule.order.resize(inst.devices.size());
  for (size_t d = 0; d < inst.devices.size(); ++d) {
    std::vector<int> tasks = inst.devices[d];
    std::stable_sort(tasks.begin(), tasks.end(),
                     [&](int a, int b) { return starts[a] < starts[b]; });
    for (int t : tasks)
      schedule.order[d].push_back(inst.tasks[t].block);
  }
  SimResult sim = simulate(problem, schedule);
  if (!sim.ok || sim.makespanMs >= result.makespanMs * (1 - 1e-12))
    return;
  result.schedule = std::move(schedule);
  result.makespanMs = sim.makespanMs;
  if (result.secondsToFirstSolution < 0)
    result.secondsToFirstSolution = clock.elapsed();
  record();
}

namespace {
struct RunStats {
  bool exhausted = false;
  bool found = false;
  /// Model cost of the last (best) solution found.
  int lastCost = 0;
  Search::Statistics stats;
};

/// Branch and bound with Luby restarts and no-goods on a copy of `root`
/// restricted to makespan <= limit, until `stop` says so.
template <typename OnSolution>
RunStats branchAndBound(const CpSpace &root, int limit, Budget &stop,
                        int threads, OnSolution onSolution) {
  RunStats run;
  CpSpace *space = static_cast<CpSpace *>(root.clone());
  space->boundMakespan(limit);
  Search::Options o;
  o.threads = std::max(1, threads);
  o.stop = &stop;
  o.cutoff = Search::Cutoff::luby(kLubyScale);
  o.nogoods_limit = kNogoodsLimit;
  o.clone = false;
  RBS<CpSpace, BAB> engine(space, o);
  while (CpSpace *solution = engine.next()) {
    run.found = true;
    run.lastCost = solution->makespanValue();
    onSolution(*solution);
    delete solution;
  }
  run.exhausted = !engine.stopped();
  run.stats = engine.statistics();
  return run;
}

/// The least L in [lo, hi + 1] whose "makespan <= L" the propagation at
/// the root does not refute (refutation is monotone in L), by bisection.
int propagationThreshold(const CpSpace &root, int lo, int hi,
                         const SearchClock &clock) {
  // A probe of a large model takes long; none starts that would end past
  // the limit if it took as long as the last one.
  double lastProbe = 0;
  while (lo <= hi && clock.remaining() > lastProbe) {
    double begin = clock.elapsed();
    int mid = lo + (hi - lo) / 2;
    std::unique_ptr<CpSpace> probe(static_cast<CpSpace *>(root.clone()));
    probe->boundMakespan(mid);
    if (probe->status() == SS_FAILED)
      lo = mid + 1;
    else
      hi = mid - 1;
    lastProbe = clock.elapsed() - begin;
  }
  return lo;
}
} // namespace

void SearchState::account(const Search::Statistics &stats) {
  result.nodes += stats.node;
  result.failures += stats.fail;
  failuresSpent += stats.fail;
}

SearchOutcome SearchState::search(int limit, double untilSeconds,
                                  uint64_t failures) {
  SearchOutcome outcome;
  limit = std::min(limit, incumbentUnits - 1);
  if (limit < bound.units)
    return outcome;
  Budget stop(clock, untilSeconds, failures, slowNodes());
  RunStats run = branchAndBound(*root, limit, stop, options.threads,
                                [&](const CpSpace &s) { adopt(s); });
  account(run.stats);
  outcome.foundSolution = run.found;
  outcome.exhausted = run.exhausted;
  if (run.exhausted)
    // Nothing below the last solution (or below limit + 1 without one).
    raiseBound(run.found ? incumbentUnits : limit + 1);
  return outcome;
}

void SearchState::propagationBounds() {
  int lo = std::max(bound.units, root->makespanMin());
  raiseBound(propagationThreshold(*root, lo, incumbentUnits - 1, clock));
}

namespace {
/// Single devices, then windows of up to kMaxWindow neighbours: a
/// bottleneck is often a device whose round trips its neighbours stretch.
std::vector<std::vector<int>> relaxationWindows(const Instance &inst) {
  std::vector<std::vector<int>> windows;
  int numDevices = int(inst.devices.size());
  for (int width = 1; width <= std::min(kMaxWindow, numDevices); ++width)
    for (int d = 0; d + width <= numDevices; ++d) {
      std::vector<int> window;
      for (int i = d; i < d + width; ++i)
        if (!inst.devices[i].empty())
          window.push_back(i);
      if (int(window.size()) == width)
        windows.push_back(window);
    }
  return windows;
}
} // namespace

struct SearchState::Relaxed {
  std::unique_ptr<Instance> inst;
  std::unique_ptr<Budget> stop;
  std::unique_ptr<RBS<CpSpace, BAB>> engine;
  /// The relaxation's best solution so far: no better bound can come of it.
  int best = INT_MAX;
};

bool SearchState::startRelaxation(const std::vector<int> &window, Relaxed &r) {
  r.inst = std::make_unique<Instance>();
  BuildLimits limits;
  limits.clock = &clock;
  if (!buildDeviceRelaxation(inst, window, result.schedule, *r.inst, limits))
    return false;
  CpSpace root(*r.inst, std::make_shared<Phases>(*r.inst), incumbentUnits - 1,
               &clock);
  if (root.interrupted())
    return false;
  if (root.status() == SS_FAILED) {
    // Even these devices alone cannot beat the incumbent.
    raiseBound(incumbentUnits);
    return false;
  }
  raiseBound(propagationThreshold(root,
                                  std::max(bound.units, root.makespanMin()),
                                  incumbentUnits - 1, clock));
  if (closed())
    return false;
  r.stop = std::make_unique<Budget>(clock, 0, 0);
  Search::Options o;
  o.stop = r.stop.get();
  o.cutoff = Search::Cutoff::luby(kLubyScale);
  o.nogoods_limit = kNogoodsLimit;
  r.engine = std::make_unique<RBS<CpSpace, BAB>>(&root, o);
  return true;
}

void SearchState::relaxationBounds(double untilSeconds, uint64_t failures) {
  std::vector<Relaxed> open;
  for (const std::vector<int> &window : relaxationWindows(inst)) {
    if (clock.elapsed() >= untilSeconds)
      return;
    Relaxed r;
    if (!startRelaxation(window, r))
      return;
    open.push_back(std::move(r));
  }
  searchRelaxations(open, untilSeconds, failures);
}

void SearchState::searchRelaxations(std::vector<Relaxed> &open,
                                    double untilSeconds, uint64_t failures) {
  // Round robin with doubling slices: easy relaxations close in the first
  // rounds, and an engine resumes where its last slice stopped.
  double slice = 0.02;
  uint64_t failSlice = 64;
  while (!open.empty() && !closed()) {
    for (size_t i = 0; i < open.size() && !closed();) {
      Relaxed &r = open[i];
      double left = untilSeconds - clock.elapsed();
      if (left <= 0 || (failures && failuresSpent >= failures))
        return;
      // With a failure budget, slices are counted in failures only, so that
      // the result does not depend on the machine's speed.
      uint64_t spent = r.engine->statistics().fail;
      r.stop->reset(failures ? untilSeconds
                             : clock.elapsed() + std::min(slice, left),
                    failures ? spent + failSlice : 0);
      while (CpSpace *solution = r.engine->next()) {
        r.best = std::min(r.best, solution->makespanValue());
        delete solution;
      }
      Search::Statistics stats = r.engine->statistics();
      stats.fail -= spent;
      account(stats);
      bool exhausted = !r.engine->stopped();
      if (exhausted)
        raiseBound(r.best == INT_MAX ? incumbentUnits : r.best);
      if (exhausted || r.best <= bound.units)
        open.erase(open.begin() + long(i));
      else
        ++i;
    }
    slice *= 2;
    failSlice *= 2;
  }
}

void SearchState::largeNeighbourhoodSearch(double untilSeconds,
                                           uint64_t failures) {
  if (incumbentStarts.empty()) {
    // The seed's timeline, from the simulator, in model units.
    SimResult sim = simulate(problem, result.schedule);
    if (!sim.ok)
      return;
    incumbentStarts.assign(inst.tasks.size(), 0);
    for (size_t d = 0; d < result.schedule.order.size(); ++d)
      for (size_t i = 0; i < result.schedule.order[d].size(); ++i) {
        const Block &b = result.schedule.order[d][i];
        if (b.part != 0)
          continue;
        int slot = BlockGraph::slotOf(b.kind);
        incumbentStarts[inst.taskOf(b.chunk, b.mb, slot)] =
            int(std::llround(sim.times[d][i].startMs * inst.unitsPerMs));
      }
  }
  // Windows start at a fifth of the makespan and widen while they keep
  // failing to improve; the generator is seeded, so runs repeat.
  std::mt19937 rng(1);
  double width = 0.2;
  int stale = 0;
  uint64_t budgetStart = failuresSpent;
  while (!closed() && clock.elapsed() < untilSeconds &&
         (failures == 0 || failuresSpent - budgetStart < failures)) {
    int span = std::max(1, int(width * incumbentUnits));
    int from = std::uniform_int_distribution<int>(
        0, std::max(0, incumbentUnits - span))(rng);
    std::unique_ptr<CpSpace> space(static_cast<CpSpace *>(root->clone()));
    space->keepOrdersOutside(incumbentStarts, from, from + span);
    if (space->status() == SS_FAILED) {
      // Refuted at the root: counts as one failure of the neighbourhood.
      ++failuresSpent;
      ++result.failures;
      if (++stale >= 8) {
        width = std::min(0.6, width * 1.25);
        stale = 0;
      }
      continue;
    }
    int before = incumbentUnits;
    Budget stop(clock, untilSeconds, kLnsFailures, slowNodes());
    RunStats run =
        branchAndBound(*space, incumbentUnits - 1, stop, options.threads,
                       [&](const CpSpace &s) { adopt(s); });
    account(run.stats);
    if (incumbentUnits < before) {
      stale = 0;
    } else if (++stale >= 8) {
      width = std::min(0.6, width * 1.25);
      stale = 0;
    }
  }
}

void SearchState::probeBounds() {
  // Each probe asks "is there a schedule of model makespan <= L?" for L
  // halfway between the bound and the incumbent. A probe that runs out of
  // its slice leaves the answer open; the next one tries a lower L, and
  // when the open range is used up the slices double.
  double slice = std::max(0.05, clock.remaining() / 16);
  uint64_t failSlice =
      options.failLimit ? std::max<uint64_t>(failuresLeft() / 16, 64) : 0;
  int hi = incumbentUnits - 1;
  while (!closed() && clock.remaining() > 0.01 &&
         (options.failLimit == 0 || failuresSpent < options.failLimit)) {
    if (hi < bound.units) {
      hi = incumbentUnits - 1;
      slice *= 2;
      failSlice *= 2;
    }
    int mid = bound.units + (hi - bound.units) / 2;
    uint64_t failures =
        options.failLimit ? std::min(failSlice, failuresLeft()) : 0;
    double until = options.failLimit
                       ? clock.limit()
                       : std::min(clock.limit(), clock.elapsed() + slice);
    SearchOutcome out = search(mid, until, failures);
    if (out.exhausted || out.foundSolution)
      hi = incumbentUnits - 1;
    else
      hi = mid - 1;
  }
}

bool SearchState::slowNodes() const {
  return inst.pairs.size() + inst.clauses.size() > kSlowNodeItems;
}

bool SearchState::startRoot() {
  double begin = clock.elapsed();
  root = std::make_unique<CpSpace>(inst, phases, incumbentUnits - 1, &clock);
  double posting = clock.elapsed() - begin;
  if (root->interrupted()) {
    result.note = "the time limit ran out while posting the model";
    return false;
  }
  // Gecode's propagation cannot be interrupted: it does not start when it
  // would likely run past the limit. Small models post in milliseconds.
  if (clock.remaining() < kPropagationPerPosting * posting) {
    result.note = "the time left after posting the model (" +
                  std::to_string(clock.remaining()) +
                  " s) is too short to propagate it";
    return false;
  }
  if (root->status() == SS_FAILED) {
    // Nothing beats the seed in the model.
    raiseBound(incumbentUnits);
    return false;
  }
  return true;
}

void SearchState::run() {
  record();
  if (closed())
    return;
  if (!startRoot())
    return;
  propagationBounds();
  if (closed())
    return;
  relaxationBounds(clock.elapsed() + kRelaxShare * clock.remaining(),
                   options.failLimit ? failuresLeft() / 4 : 0);
  if (closed())
    return;
  double until = clock.elapsed() + kImproveShare * clock.remaining();
  uint64_t failures = options.failLimit ? failuresLeft() / 3 : 0;
  SearchOutcome main = search(incumbentUnits - 1, until, failures);
  if (main.exhausted || closed())
    return;
  largeNeighbourhoodSearch(clock.elapsed() + kLnsShare * clock.remaining(),
                           options.failLimit ? failuresLeft() / 2 : 0);
  if (closed())
    return;
  probeBounds();
}

void crosspipe::sched::solver::finishResult(SolverResult &result,
                                            const SearchClock &clock) {
  result.lowerBoundMs =
      std::min(std::max(result.lowerBoundMs, result.analyticLowerBoundMs),
               result.makespanMs);
  double m = result.makespanMs;
  result.gap = m > 0 ? std::max(0.0, (m - result.lowerBoundMs) / m) : 0.0;
  result.optimal = result.gap <= 1e-9;
  if (result.optimal) {
    result.gap = 0;
    result.lowerBoundMs = m;
    result.optimalWithinResolution = true;
  }
  result.seconds = clock.elapsed();
  result.progress.push_back({result.seconds, m, result.lowerBoundMs});
}
