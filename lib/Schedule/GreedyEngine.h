//===- GreedyEngine.h - Event-driven core of the greedy ---------*- C++ -*-===//
//
// Internal to the scheduling library. The engine runs one priority rule over
// a problem: it keeps, per device, the next block of every (chunk, kind) in
// microbatch order as the candidates, times them with exactly the simulator's
// model (FIFO link queues by send time, latency after the bandwidth window,
// activation memory as sched::memoryEffect has it), and admits an F only when
// the memory state stays safe, so it can never deadlock on memory. Static data
// of a problem is computed once and shared by every rule that runs on it.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_LIB_SCHEDULE_GREEDYENGINE_H
#define CROSSPIPE_LIB_SCHEDULE_GREEDYENGINE_H

#include "crosspipe/Schedule/BlockGraph.h"
#include "crosspipe/Schedule/Problem.h"
#include "crosspipe/Schedule/Schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace crosspipe {
namespace sched {
namespace detail {

/// Candidate kinds inside the engine: forward, backward (B or D), weight
/// gradient (W, split backward only); the slots of BlockGraph::slotOf.
enum CandKind : int { KF = 0, KD = 1, KW = 2 };

/// How candidates of equal class are ordered.
enum class TieMode : uint8_t {
  /// Lower microbatch first, then deeper chunk (pushes a microbatch through).
  Microbatch,
  /// Earliest due date: microbatch * period + the block's offset on the
  /// critical path of one isolated microbatch (list scheduling by latest
  /// start time).
  DueDate,
};

/// A priority rule: candidates compare by (class, tie key), lower first.
struct GreedyRule {
  std::string name;
  /// Base class of F, backward (B/D) and W candidates.
  int rank[3] = {1, 0, 2};
  /// F outranks backward work on a chunk while fewer microbatches than its
  /// round-trip window are in flight there (warm-up look-ahead); the window
  /// is the unloaded time from F's end to its gradient's arrival divided by
  /// the device's per-microbatch work, times this factor (0 = off).
  double warmupWindowScale = 0;
  /// Like warmupWindowScale, but the target is the number of microbatches
  /// the chunk must keep in flight (see capDeferredW), as in 1F1B.
  bool warmupDepth = false;
  /// W outranks F when the free memory after the F would be below this many
  /// activations of the chunk (0 = only when memory forbids the F).
  double wBeforeFMemory = 0;
  /// W outranks everything once this many W of its chunk wait, where the cap
  /// is the memory slots the chunk's device has beyond the microbatches it
  /// must keep in flight (the chunks from it to the end, or its round-trip
  /// window if larger): deferring more W would starve F of memory. This is
  /// ZB-H1's rule of device d deferring d W in a pipeline of 1F1B depth.
  bool capDeferredW = false;
  TieMode tie = TieMode::Microbatch;
  /// DueDate: W's due date is its D's plus this many microbatch periods.
  double wSlackPeriods = 1.0;
  /// Prefer (within a class) blocks whose message crosses a datacenter
  /// boundary, so the long flight starts early.
  bool preferCrossDc = false;
  /// Prefer (within a class) W of chunks with costly DP all-reduces, so
  /// those collectives start early.
  bool preferCostlyAllreduce = false;
  /// A device stays idle for a better-ranked block instead of starting the
  /// best ready one when the better block's input is already on its way and
  /// due within this fraction of the ready block's duration (0 = never). The
  /// device then commits to the better block as its next one, which the
  /// simulator reproduces since it starts every block as early as it can.
  double waitFraction = 0;
  /// A device that holds activations admits a new microbatch (its first F
  /// there) only if afterwards this many microbatches' worth of its other
  /// chunks' activations stays free (0 = off). On a V or a loop the later
  /// chunks' F and W are short-lived; without the reserve, admitting new
  /// microbatches fills memory with first-chunk activations that live for
  /// the whole round trip, and the returning microbatches stall.
  double admitReserve = 0;
  /// An F whose message pays bandwidth on its link may run at most this
  /// many times the device count of microbatches ahead of the backward of
  /// its device's last chunk (0 = no limit). Its messages queue FIFO with the
  /// gradients going the same way, so a burst of early F delays the returning
  /// gradients; the limit depends on a block of the same device, so the
  /// simulator reproduces it.
  double crossWindow = 0;
  /// On a device with several chunks and a memory limit, each chunk may
  /// hold at most its share of the memory, in proportion to the activation
  /// it holds times how long one isolated microbatch holds it (Little's
  /// law), rounded to whole activations. On a loop the first chunk's
  /// activations live for the whole round trip and the later chunks' for
  /// far less; without shares, new microbatches fill the device with
  /// first-chunk activations while the returning ones wait for memory. A
  /// flat reserve (admitReserve) cannot fit both a device with many slots
  /// and one whose budget holds a single microbatch.
  bool memoryShares = false;
  /// Start-up quota on a V or a loop (-1 = off): on a device with several
  /// chunks and a memory limit, the first chunk may hold at most an even
  /// split of the device's activation slots among its chunks plus this
  /// many. Without it, the start-up fills a device with first-chunk
  /// activations (every new microbatch is ready there, none has come back
  /// yet), and when the microbatches return through the later chunks they
  /// pass one at a time, starved of memory. The quota keeps room for them
  /// from the start, which also fills the gap the round trip leaves with
  /// the later chunks' work; with uniform budgets it is what the paper
  /// authors' wave scheduler does at start-up.
  int quotaExtra = -1;
};

/// The portfolio scheduleGreedy() tries, in order (GreedyRules.cpp).
std::vector<GreedyRule> builtinGreedyRules();
/// False when a rule's knobs cannot matter for `problem` (it would repeat
/// another rule's schedule).
bool ruleApplies(const GreedyRule &rule, const Problem &problem);

struct EngineResult {
  bool ok = false;
  std::string error;
  Schedule schedule;
  /// Makespan as the engine timed it (equals simulate()'s).
  double makespanMs = 0;
  /// Sum of all block end times: a tie-breaker between equal makespans that
  /// rewards finishing work earlier.
  double sumEndMs = 0;
};

class GreedyEngine {
public:
  GreedyEngine(const Problem &problem, int parts);
  /// Why `problem` cannot be scheduled in `parts` parts (sched::validate,
  /// sched::validateMemoryBudget), or "".
  static std::string checkProblem(const Problem &problem, int parts);
  /// An empty string when the problem can be scheduled, else why not.
  const std::string &setupError() const { return error; }
  /// Runs `rule`; gives up (not ok, error "cut off") as soon as the
  /// makespan is sure to exceed `cutoffMs`, since such a run cannot win.
  EngineResult run(const GreedyRule &rule,
                   double cutoffMs = std::numeric_limits<double>::infinity());
  /// Times a fixed schedule (blocks cut into this engine's part count, each
  /// (chunk, kind) in microbatch order) exactly as the simulator would, at
  /// the engine's speed and without its memory checks; not ok if the orders
  /// deadlock or break that form. The schedule is moved in and handed back
  /// in the result.
  EngineResult
  replay(Schedule schedule,
         double cutoffMs = std::numeric_limits<double>::infinity());
  /// Runs `rule` after a prefix: each device first runs the blocks
  /// `prefix` lists for it, in that order and without the rule's memory
  /// checks (as replay()), then what the rule picks. Not ok if the prefix
  /// deadlocks or breaks replay()'s form; the result may exceed the budget
  /// where the prefix does (callers check it). Cut off as run().
  EngineResult
  runFrom(const GreedyRule &rule, const Schedule &prefix,
          double cutoffMs = std::numeric_limits<double>::infinity());
  /// The logical blocks, as (chunk * M + mb) * 3 + kind, on the critical
  /// path of `last` (the schedule the last run returned) that started later
  /// than their inputs allowed because their device was busy, latest first.
  void delayedCriticalBlocks(const Schedule &last, std::vector<int> &out) const;
  /// Start of each block of the last run, [d][i] for its order[d][i]: the
  /// simulator's times (before the makespan's origin is subtracted).
  const std::vector<std::vector<double>> &lastStarts() const { return starts; }
  /// Promotions per logical block, indexed as above (empty = none): each
  /// one lifts a block past every rule class, and a promoted block is worth
  /// waiting for.
  void setBoosts(std::vector<float> b) { boost = std::move(b); }
  /// Hands a schedule's storage back for the next run, which saves
  /// allocating and faulting in the block orders again.
  void recycle(Schedule &&schedule) { order = std::move(schedule.order); }

private:
  struct Msg {
    double send;
    int src;
    uint32_t seq;
    int link;
    int target; ///< Index into `times` of the (chunk, mb) it feeds.
    bool gradient;
    double bwMs, latMs;
    int dstDevice;
  };
  struct MsgLater {
    bool operator()(const Msg &a, const Msg &b) const {
      if (a.send != b.send)
        return a.send > b.send;
      if (a.src != b.src)
        return a.src > b.src;
      return a.seq > b.seq;
    }
  };

  /// The next (sub-)block of one (chunk, kind) and when it could start.
  struct Cand {
    int kind, c, m, part;
    double ready;
    /// `ready` if known, else a lower bound from a message in flight.
    double pred;
  };
  struct Score {
    double cls = 0;
    double key = 0;
    bool operator<(const Score &o) const {
      return cls != o.cls ? cls < o.cls : key < o.key;
    }
  };

  // Setup (GreedySetup.cpp), in the order the constructor runs them.
  /// Per-chunk durations and devices; memory per device.
  void setupChunks();
  /// What each (sub-)block allocates and frees (sched::memoryEffect).
  void setupMemory();
  /// The link and alpha-beta cost of every chunk boundary.
  void setupLinks();
  /// Which links several devices send on (their messages need the queue).
  void markSharedLinks();
  /// DP collective durations and ZeRO-1 all-gather ends.
  void setupCollectives();
  /// Critical-path offsets of one isolated microbatch, round-trip windows.
  void setupCriticalPath();
  /// The earliest start of `s` in one isolated microbatch, from the offsets
  /// of its inputs (BlockGraph::inputsOf) computed before it.
  double headOf(Step s) const;
  /// Microbatches each chunk keeps in flight, and the W it may defer.
  void setupInFlight();
  /// Memory shares and the period of the pacing resource.
  void setupPacing();
  /// GreedyRule::memoryShares per chunk, from the activation-time loads.
  void setupShares(const std::vector<double> &holdLoad,
                   const std::vector<double> &devHoldLoad);
  /// A whole block's duration: parts times a part's.
  double fullMs(int c, int k) const { return durPart[c * 3 + k] * parts; }

  void reset();
  /// Fills `cands` with the device's candidates whose ready time is known
  /// (or, with `predicted`, at least bounded by a message in flight).
  int gather(int d, bool predicted);
  /// The candidate of slot (c, k) on device d; false when that slot is done
  /// or its ready time (with Predicted: its bound) is not known yet.
  template <bool Predicted> bool slotCand(int d, int c, int k, Cand &out);
  double computeKey(int d);
  bool fFeasible(int d, int c, int m);
  /// The orders replay() follows (null while a rule runs), and the next
  /// position in each.
  const std::vector<std::vector<Block>> *fixed = nullptr;
  std::vector<int> fixedPos;
  /// runFrom(): `fixed` is a prefix, after which the rule decides.
  bool prefixOnly = false;
  /// Whether device d's next block is the one `fixed` lists.
  bool replaying(int d) const {
    return fixed && (!prefixOnly || fixedPos[d] < int((*fixed)[d].size()));
  }
  /// Sets the one candidate of `d` in replay(); false if it has none.
  bool replayCand(int d, bool predicted);
  /// The admission reserve of the current run (GreedyRule::admitReserve).
  double reserve = 0;
  /// GreedyRule::crossWindow of the current run.
  int window_ = 0;
  /// Per chunk: the most activation bytes it may hold in the current run
  /// (GreedyRule::memoryShares, GreedyRule::quotaExtra); kUnlimited = no
  /// cap.
  std::vector<uint64_t> chunkCap;
  /// Sets chunkCap for `rule`.
  void capChunks(const GreedyRule &rule);
  Score score(const GreedyRule &rule, int d, const Cand &x) const;
  /// Starts the best of the `n` gathered candidates of `d` at `t`; false
  /// if it chose to wait for a better one instead.
  bool schedule(const GreedyRule &rule, int d, double t, int n);
  // The per-block hot path that schedule() runs, split for reading; inline
  // (and defined in GreedyEngine.cpp, its only user) so that it compiles
  // back into one function: called, it costs 5% of the greedy's time.
  /// The best-scoring of the `n` candidates ready at `t`, or -1.
  inline int pickReady(const GreedyRule &rule, int d, double t, int n,
                       Score &bestScore) const;
  /// Commits `d` to a better candidate than `best` that is already on its
  /// way (GreedyRule::waitFraction, promotions); false if there is none.
  inline bool waitForBetter(const GreedyRule &rule, int d, double t, int n,
                            int best, const Score &bestScore);
  /// Starts part `part` of block (c, k) of microbatch m on `d` at `t`.
  inline void start(int d, double t, int c, int k, int m, int part);
  /// Books the end of the last part of block (c, k) of microbatch m: hands
  /// its output to the blocks that read it.
  inline void finish(int d, int c, int k, int m, double end);
  /// Delivers the output of `from` (microbatch m, ended at `end` on `d`) to
  /// the step of another chunk that reads it: at once on the same device,
  /// else as a message.
  inline void deliver(int d, Step from, int m, double end);
  void commit(const Msg &msg);
  /// Lowers the key of device d if (c, k, m) just became ready there.
  void onArrival(int d, int k, int c, int m);
  void updateTree(int d, double key);
  void pushMsg(double send, int src, int c, bool gradient, int m);

  const Problem &problem;
  BlockGraph graph;
  int numChunks, numMb, numDev, parts;
  bool split;
  std::string error;

  // Static data.
  std::vector<int> chunkDev;
  std::vector<double> durPart; ///< [c * 3 + kind]
  /// The activation F reserves per chunk, what W holds of it, and what each
  /// backward part frees ([(c * 3 + kind) * parts + part]).
  std::vector<uint64_t> act, wHeld, partFree;
  /// Per device: the most a recompute backward block holds beyond the
  /// reservation of its microbatch, which admission keeps free.
  std::vector<uint64_t> transient;
  /// Per chunk: whether its backward block allocates (recomputation).
  std::vector<bool> recomputes;
  std::vector<int> fwdLink, bwdLink; ///< Link of boundary c -> c+1 and back.
  std::vector<double> fwdBw, fwdLat, bwdBw, bwdLat;
  std::vector<bool> fwdCross, bwdCross;
  int numLinks = 0;
  std::vector<bool> sharedLink;
  std::vector<std::vector<int>> devChunks;
  std::vector<uint64_t> footprint, limit;
  /// Memory share per chunk (GreedyRule::memoryShares); kUnlimited = none.
  std::vector<uint64_t> share;
  std::vector<double> cycle;
  /// DP: buckets per chunk, ZeRO-1, the duration of each of a chunk's
  /// gradient collectives, and when its parameter all-gather ends.
  int buckets = 1;
  bool zero1 = false;
  std::vector<double> allreduce, gatherEnd;
  std::vector<double> window; ///< Round-trip window per chunk, microbatches.
  std::vector<int> wCap;      ///< Deferred-W cap per chunk (capDeferredW).
  std::vector<double> keep;   ///< Microbatches a chunk keeps in flight.
  std::vector<double> headMs; ///< [c * 3 + kind] critical-path offset.
  double periodMs = 0;

  // Per-run state.
  std::vector<int> nextMb, nextPart; ///< [c * 3 + kind]
  /// What is known of one (chunk, microbatch), kept together because a
  /// candidate reads them together: input arrivals of F and of the
  /// backward, lower bounds of those arrivals while in flight, and the ends
  /// of F and of the backward (infinity = not yet known).
  struct Times {
    double fArr = std::numeric_limits<double>::infinity();
    double bArr = std::numeric_limits<double>::infinity();
    double fEnd = std::numeric_limits<double>::infinity();
    double dEnd = std::numeric_limits<double>::infinity();
    double fPred = std::numeric_limits<double>::infinity();
    double bPred = std::numeric_limits<double>::infinity();
  };
  std::vector<Times> times; ///< [c * numMb + m]
  std::vector<int> forced;  ///< Per device: c * 3 + kind it waits for, or -1.
  /// Per device: its key is only a lower bound (its free time).
  std::vector<char> dirty;
  std::vector<double> devFree;
  std::vector<uint64_t> held, fStarted, freed; ///< freed: [d * numMb + m]
  std::vector<uint64_t> heldChunk; ///< Activation bytes held per chunk.
  std::vector<int> lo; ///< Oldest microbatch still holding or needing memory.
  std::vector<int> remLo; ///< Oldest microbatch with an F still to start.
  int admitted = 0;
  /// F feasibility per chunk, valid while feasVersion[c] equals its
  /// device's memVersion (bumped whenever the device starts a block).
  std::vector<int> memVersion, feasVersion;
  std::vector<char> feasValue;
  std::vector<double> lastBack;
  std::vector<double> linkFree;
  std::vector<Msg> heap;
  uint32_t msgSeq = 0;
  int treeSize = 1;
  std::vector<double> treeKey;
  std::vector<int> treeDev;
  std::vector<std::vector<Block>> order;
  std::vector<Cand> cands;
  double firstF0 = 0;
  double lastEnd = 0;
  double sumEnd = 0;
  /// Start time of order[d][i].
  std::vector<std::vector<double>> starts;
  std::vector<float> boost;
  static constexpr double kBoostClasses = 16;
  /// Index in order[chunkDev[c]] of the last part of each logical block.
  std::vector<int> lastPos;
  std::vector<int> lastBackMb; ///< Microbatch whose W/B ends its chunk.
  /// A DP collective of the last run: when it could start, ran, and the
  /// block (device, position) whose end made it ready (-1: an all-gather).
  struct Collective {
    double ready, start, end;
    int device, blockDev, blockPos;
  };
  std::vector<Collective> colls;
  /// Times the DP collectives after a run, as the simulator does, and
  /// raises lastEnd; returns the makespan origin (0 under ZeRO-1).
  double timeCollectives();
  /// When each gradient collective ([c * buckets + b]) of the last run is
  /// ready, and the block whose end made it so.
  void gradientsReady(std::vector<Collective> &grads) const;
  /// Where the critical path of the last run (block orders `orders`) ends:
  /// the block that ends last, or the one that made the chain of
  /// collectives ending last ready; device -1 when nothing runs before it.
  std::pair<int, int> criticalEnd(const std::vector<std::vector<Block>> &orders,
                                  double eps) const;
  /// End of the block at position i of device d in the last run.
  double endOf(const std::vector<std::vector<Block>> &orders, int d,
               int i) const;
  /// The input of `b` (a first part) whose output reached it last, as
  /// BlockGraph::inputsOf lists them (later inputs win ties), and when it
  /// arrived; false (arrival 0) when `b` has none.
  bool lastInput(const Block &b, Step &out, double &arrival) const;
};

/// Improves `best` (a schedule `engine` replays, with its makespan and sum
/// of end times) by moving single blocks a few positions on their device,
/// keeping each move that lowers (makespan, sum of end times); stops after
/// `maxEvaluations` replays or when no move helps. Returns the moves kept
/// (GreedyLocal.cpp).
int searchOrders(GreedyEngine &engine, const Problem &problem,
                 EngineResult &best, int maxEvaluations);

/// a < b by more than a relative 1e-9, so that rounding differences never
/// count as progress.
inline bool tolerantLess(double a, double b) {
  return a < b - 1e-9 * std::max(1.0, std::fabs(b));
}

/// Whether a schedule of (makespan, sum of block end times) beats the best
/// one: lexicographically, with tolerantLess. Every search of the greedy
/// keeps a candidate by this rule.
inline bool better(double makespan, double sumEnd, double bestMakespan,
                   double bestSumEnd) {
  return tolerantLess(makespan, bestMakespan) ||
         (!tolerantLess(bestMakespan, makespan) &&
          tolerantLess(sumEnd, bestSumEnd));
}
inline bool better(const EngineResult &a, const EngineResult &b) {
  return better(a.makespanMs, a.sumEndMs, b.makespanMs, b.sumEndMs);
}

/// The pilot method over `rule` (GreedyPilot.cpp): fixes each device's
/// blocks in start order, each the candidate whose completion by the rule
/// is best. `result` gets the schedule of the pass (stopped early, with
/// the rule completing it, when `blockBudget`, the engine blocks it may
/// still time, runs out; it is decreased by what was spent). Returns the
/// blocks chosen against the rule, or -1 if the rule fails.
int pilotSearch(GreedyEngine &engine, const Problem &problem,
                const GreedyRule &rule, EngineResult &result,
                double &blockBudget);

/// Peak activation memory per device stays within its limit (walking each
/// device's order with sched::memoryEffect: exact, and much cheaper than
/// simulating a schedule that cannot be used anyway).
bool fitsBudget(const Problem &problem, const Schedule &schedule);
/// The same for device d's order alone (its chunks in range).
bool deviceFitsBudget(const Problem &problem, int d,
                      const std::vector<Block> &order);

} // namespace detail
} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_LIB_SCHEDULE_GREEDYENGINE_H
