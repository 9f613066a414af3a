//===- ScheduleCheck.cpp - Completeness, device order and memory ----------===//
//
// The schedule checks that need no IR: they find the first fault in program
// order, so the diagnostics a caller builds from them are deterministic.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/ScheduleCheck.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>
#include <cmath>

using namespace crosspipe::sched;

namespace {
ScheduleFault fault(ScheduleFault::Kind kind, BlockAt at, BlockAt other,
                    const Block &block) {
  ScheduleFault f;
  f.kind = kind;
  f.at = at;
  f.other = other;
  f.block = block;
  return f;
}

ScheduleFault indexParts(const Schedule &schedule, BlockIndex &index) {
  index.clear();
  for (size_t d = 0; d < schedule.order.size(); ++d) {
    const std::vector<Block> &order = schedule.order[d];
    for (size_t i = 0; i < order.size(); ++i) {
      const Block &b = order[i];
      BlockAt here{int(d), int(i)};
      std::vector<BlockAt> &parts = index.at(b.kind, b.chunk, b.mb);
      if (parts.empty())
        parts.resize(b.parts);
      if (int(parts.size()) != b.parts) {
        BlockAt other = *std::find_if(parts.begin(), parts.end(),
                                      [](BlockAt x) { return x.device >= 0; });
        ScheduleFault f = fault(ScheduleFault::PartCount, here, other, b);
        f.otherParts = int(parts.size());
        return f;
      }
      BlockAt &slot = parts[b.part];
      if (slot.device >= 0)
        return fault(ScheduleFault::Duplicate, here, slot, b);
      slot = here;
    }
  }
  return {};
}
} // namespace

ScheduleFault crosspipe::sched::checkComplete(const Problem &problem,
                                              const Schedule &schedule,
                                              BlockIndex &index) {
  if (ScheduleFault f = indexParts(schedule, index))
    return f;
  BlockGraph graph(problem);
  for (int c = 0; c < problem.numChunks(); ++c)
    for (int m = 0; m < problem.numMicrobatches; ++m)
      for (int slot = 0; slot < graph.kindsPerChunk(); ++slot) {
        Block whole{graph.kindOfSlot(slot), c, m};
        const std::vector<BlockAt> *parts = index.find(whole.kind, c, m);
        ScheduleFault f = fault(ScheduleFault::Missing, {}, {}, whole);
        f.device = problem.chunks[c].device;
        if (!parts)
          return f;
        for (size_t part = 0; part < parts->size(); ++part)
          if ((*parts)[part].device < 0) {
            f.block.part = int(part);
            f.missingPart = true;
            return f;
          }
      }
  return {};
}

ScheduleFault crosspipe::sched::checkDeviceOrder(const Problem &problem,
                                                 const Schedule &schedule,
                                                 const BlockIndex &index) {
  BlockGraph graph(problem);
  for (size_t d = 0; d < schedule.order.size(); ++d) {
    const std::vector<Block> &order = schedule.order[d];
    for (size_t i = 0; i < order.size(); ++i) {
      const Block &b = order[i];
      std::vector<std::pair<Block, BlockAt>> needs;
      const std::vector<BlockAt> &parts = *index.find(b.kind, b.chunk, b.mb);
      if (b.part > 0) {
        Block prev = b;
        prev.part = b.part - 1;
        needs.push_back({prev, parts[b.part - 1]});
      } else {
        for (Step in : graph.inputsOf({b.kind, b.chunk})) {
          const std::vector<BlockAt> *depParts =
              index.find(in.kind, in.chunk, b.mb);
          Block last{in.kind, in.chunk, b.mb};
          last.parts = int(depParts->size());
          last.part = last.parts - 1;
          needs.push_back({last, depParts->back()});
        }
      }
      for (auto &[dep, at] : needs)
        if (at.device == int(d) && at.index >= int(i))
          return fault(ScheduleFault::RunsBefore, {int(d), int(i)}, at, dep);
    }
  }
  return {};
}

ScheduleFault crosspipe::sched::checkMemory(const Problem &problem,
                                            const Schedule &schedule,
                                            const SimResult &sim) {
  for (size_t d = 0; d < schedule.order.size(); ++d) {
    uint64_t limit = problem.memoryLimit(int(d));
    if (limit == kUnlimited)
      continue;
    // (time, +/- bytes, index); releases sort before acquisitions at equal
    // times because memory freed at t is usable at t.
    struct Event {
      double time;
      int64_t delta;
      int index;
    };
    std::vector<Event> events;
    const std::vector<Block> &order = schedule.order[d];
    for (size_t i = 0; i < order.size(); ++i) {
      MemoryEffect mem = memoryEffect(problem, order[i]);
      if (mem.allocBytes)
        events.push_back(
            {sim.times[d][i].startMs, int64_t(mem.allocBytes), int(i)});
      if (mem.freeBytes)
        events.push_back(
            {sim.times[d][i].endMs, -int64_t(mem.freeBytes), int(i)});
    }
    std::stable_sort(
        events.begin(), events.end(), [](const Event &a, const Event &b) {
          return a.time != b.time ? a.time < b.time : a.delta < b.delta;
        });
    int64_t live = 0;
    for (const Event &e : events) {
      live += e.delta;
      if (live <= int64_t(limit))
        continue;
      ScheduleFault f = fault(ScheduleFault::OverBudget, {int(d), e.index}, {},
                              order[e.index]);
      f.device = int(d);
      f.bytes = uint64_t(live);
      f.limit = limit;
      return f;
    }
  }
  return {};
}

namespace {
/// Slack for comparing times that went through arithmetic (and text).
double slack(double ms) { return 1e-6 * std::max(1.0, std::fabs(ms)); }

/// A span starts at 0 or later and lasts at least the modelled duration
/// of its block (a block never runs faster than the model).
ScheduleFault checkSpan(const Problem &problem, const Block &block,
                        const Annotated &t, BlockAt here) {
  double duration = blockDurationMs(problem, block);
  ScheduleFault f = fault(ScheduleFault::NegativeSpan, here, {}, block);
  f.startMs = t.startMs;
  f.endMs = t.endMs;
  f.readyMs = duration;
  if (!(t.startMs >= 0) || !(t.endMs >= t.startMs))
    return f;
  if (t.endMs - t.startMs + slack(t.endMs) >= duration)
    return {};
  f.kind = ScheduleFault::SpanTooShort;
  return f;
}
} // namespace

ScheduleFault crosspipe::sched::checkAnnotatedTimes(
    const Problem &problem, const Schedule &schedule, const BlockIndex &index,
    const std::vector<std::vector<Annotated>> &annotated) {
  constexpr double eps = 1e-6;
  BlockGraph graph(problem);
  for (size_t d = 0; d < annotated.size(); ++d) {
    int previous = -1;
    for (size_t i = 0; i < annotated[d].size(); ++i) {
      const Annotated &t = annotated[d][i];
      if (!t.timed) {
        previous = -1;
        continue;
      }
      BlockAt here{int(d), int(i)};
      if (ScheduleFault f = checkSpan(problem, schedule.order[d][i], t, here))
        return f;
      if (previous >= 0 && t.startMs + eps < annotated[d][previous].endMs) {
        ScheduleFault f = fault(ScheduleFault::StartsBeforePrevious, here,
                                {int(d), previous}, schedule.order[d][i]);
        f.startMs = t.startMs;
        return f;
      }
      previous = int(i);
      const Block &b = schedule.order[d][i];
      if (b.part > 0)
        continue;
      for (Step in : graph.inputsOf({b.kind, b.chunk})) {
        const std::vector<BlockAt> &parts =
            *index.find(in.kind, in.chunk, b.mb);
        BlockAt at = parts.back();
        const Annotated &producer = annotated[at.device][at.index];
        if (!producer.timed)
          continue;
        double ready = producer.endMs;
        if (at.device != int(d))
          if (const LinkCost *cost = problem.linkCost(at.device, int(d)))
            ready += cost->latencyMs;
        if (t.startMs + eps >= ready)
          continue;
        Block dep = parts.size() > 1 ? schedule.order[at.device][at.index]
                                     : Block{in.kind, in.chunk, b.mb};
        ScheduleFault f =
            fault(ScheduleFault::StartsBeforeInput, here, at, dep);
        f.startMs = t.startMs;
        f.readyMs = ready;
        return f;
      }
    }
  }
  return {};
}

namespace {
/// Checks one collective against the blocks it depends on.
ScheduleFault
checkDependencies(const Problem &problem, const Schedule &schedule,
                  const BlockIndex &index,
                  const std::vector<std::vector<Annotated>> &annotated,
                  const CollectiveNote &note, int which) {
  constexpr double eps = 1e-6;
  if (note.chunk >= problem.numChunks())
    return {}; // The op verifier reports it.
  bool gather = note.kind == CollectiveKind::AllGather;
  BlockKind release = BlockGraph(problem).releaseKind();
  for (int mb = 0; mb < problem.numMicrobatches; ++mb) {
    const std::vector<BlockAt> *found =
        index.find(gather ? BlockKind::F : release, note.chunk, mb);
    if (!found || found->empty())
      continue;
    int partIndex = 0;
    if (!gather) {
      // The part that completes the share (bucket + 1) / buckets.
      int64_t num = int64_t(note.bucket + 1) * int64_t(found->size());
      partIndex = int((num + note.buckets - 1) / note.buckets - 1);
    }
    BlockAt at = (*found)[partIndex];
    if (at.device != note.device)
      continue;
    const Block &block = schedule.order[at.device][at.index];
    ScheduleFault f = fault(ScheduleFault::CollectiveMisplaced, {}, at, block);
    f.collective = which;
    if (gather ? at.index < note.computeBefore : at.index >= note.computeBefore)
      return f;
    const Annotated &compute = annotated[at.device][at.index];
    if (!note.time.timed || !compute.timed)
      continue;
    if (gather) {
      if (note.time.endMs <= compute.startMs + eps)
        continue;
      f.kind = ScheduleFault::GatherEndsLate;
      f.endMs = note.time.endMs;
      f.startMs = compute.startMs;
      return f;
    }
    double done = bucketDoneMs(block, Interval{compute.startMs, compute.endMs},
                               note.bucket, note.buckets);
    if (note.time.startMs + eps >= done)
      continue;
    f.kind = ScheduleFault::ReduceStartsEarly;
    f.startMs = note.time.startMs;
    f.readyMs = done;
    return f;
  }
  return {};
}

/// The timed collectives of one program, by start time, one at a time.
ScheduleFault checkOverlap(const std::vector<CollectiveNote> &notes,
                           std::vector<int> &timed) {
  std::stable_sort(timed.begin(), timed.end(), [&](int a, int b) {
    return notes[a].time.startMs < notes[b].time.startMs;
  });
  for (size_t i = 1; i < timed.size(); ++i) {
    const CollectiveNote &x = notes[timed[i]], &prev = notes[timed[i - 1]];
    if (x.time.startMs + 1e-6 >= prev.time.endMs)
      continue;
    ScheduleFault f;
    f.kind = ScheduleFault::CollectivesOverlap;
    f.collective = timed[i];
    f.otherCollective = timed[i - 1];
    f.startMs = x.time.startMs;
    f.device = x.device;
    return f;
  }
  return {};
}

/// How one collective fits with the ones before it: bucket count, kind mix
/// and duplicates.
class CollectiveTies {
public:
  ScheduleFault check(const std::vector<CollectiveNote> &notes, int i) {
    const CollectiveNote &n = notes[i];
    bool allReduce = n.kind == CollectiveKind::AllReduce;
    bool gather = n.kind == CollectiveKind::AllGather;
    ScheduleFault f;
    f.collective = i;
    if (first >= 0 && !gather && notes[first].buckets != n.buckets) {
      f.kind = ScheduleFault::BucketMismatch;
      f.otherCollective = first;
      f.buckets = n.buckets;
      f.otherParts = notes[first].buckets;
      return f;
    }
    if (first < 0 && !gather)
      first = i;
    if (allReduce && firstZero1 >= 0) {
      f.kind = ScheduleFault::AllReduceWithZero1;
      f.otherCollective = firstZero1;
      return f;
    }
    if (!allReduce && firstAllReduce >= 0) {
      f.kind = ScheduleFault::Zero1WithAllReduce;
      f.otherCollective = firstAllReduce;
      return f;
    }
    (allReduce ? firstAllReduce : firstZero1) = i;
    auto [it, inserted] = seen.try_emplace({n.chunk, int(n.kind), n.bucket}, i);
    if (!inserted) {
      f.kind = ScheduleFault::DuplicateCollective;
      f.otherCollective = it->second;
      return f;
    }
    return {};
  }

private:
  int first = -1, firstZero1 = -1, firstAllReduce = -1;
  std::map<std::tuple<int, int, int>, int> seen;
};
} // namespace

ScheduleFault crosspipe::sched::checkCollectives(
    const Problem &problem, const Schedule &schedule, const BlockIndex &index,
    const std::vector<std::vector<Annotated>> &annotated,
    const std::vector<CollectiveNote> &notes) {
  CollectiveTies ties;
  std::vector<int> timed;
  for (int i = 0, e = int(notes.size()); i < e; ++i) {
    if (ScheduleFault f = ties.check(notes, i))
      return f;
    if (ScheduleFault f =
            checkDependencies(problem, schedule, index, annotated, notes[i], i))
      return f;
    if (notes[i].time.timed)
      timed.push_back(i);
    if (i + 1 == e || notes[i + 1].program != notes[i].program) {
      if (ScheduleFault f = checkOverlap(notes, timed))
        return f;
      timed.clear();
    }
  }
  return {};
}

//===----------------------------------------------------------------------===//
// The collective layout and the claims of the schedule
//===----------------------------------------------------------------------===//

ScheduleFault
crosspipe::sched::checkCollectiveSet(const Problem &problem,
                                     const std::vector<CollectiveNote> &notes) {
  if (notes.empty())
    return {}; // The simulator lays them out itself.
  CollectiveKind reduce = CollectiveKind::AllReduce;
  int buckets = 0;
  bool zero1 = false;
  std::map<std::tuple<int, int, int>, bool> seen;
  for (const CollectiveNote &n : notes) {
    seen[{n.chunk, int(n.kind), n.bucket}] = true;
    if (n.kind != CollectiveKind::AllReduce)
      zero1 = true;
    if (n.kind != CollectiveKind::AllGather && !buckets)
      buckets = n.buckets;
  }
  if (zero1)
    reduce = CollectiveKind::ReduceScatter;
  ScheduleFault f;
  f.kind = ScheduleFault::MissingCollective;
  for (int c = 0; c < problem.numChunks(); ++c) {
    f.block.chunk = c;
    f.device = problem.chunks[c].device;
    f.buckets = std::max(buckets, 1);
    for (f.bucket = 0; f.bucket < f.buckets; ++f.bucket) {
      f.collectiveKind = reduce;
      if (!seen.count({c, int(reduce), f.bucket}))
        return f;
    }
    f.bucket = 0;
    f.buckets = 1;
    f.collectiveKind = CollectiveKind::AllGather;
    if (zero1 && !seen.count({c, int(CollectiveKind::AllGather), 0}))
      return f;
  }
  return {};
}

namespace {
/// A claim that differs from what it should be; `want` is the simulated
/// (or implied) value.
ScheduleFault claimFault(ScheduleFault::Claim claim, double have, double want) {
  ScheduleFault f;
  f.kind = ScheduleFault::ClaimMismatch;
  f.claim = claim;
  f.startMs = have;
  f.readyMs = want;
  return f;
}

bool near(double a, double b) { return std::fabs(a - b) <= slack(b); }

/// The bound, gap and optimality claims against the simulated makespan.
ScheduleFault checkBoundClaims(const ScheduleClaims &claims, double makespan) {
  using F = ScheduleFault;
  std::optional<double> bound = claims.lowerBoundMs;
  if (bound && !(*bound >= 0))
    return claimFault(F::LowerBound, *bound, 0);
  if (bound && !(*bound <= makespan + slack(makespan)))
    return claimFault(F::LowerBound, *bound, makespan);
  if (claims.gap) {
    double gap = *claims.gap;
    if (!(gap >= 0 && gap <= 1))
      return claimFault(F::Gap, gap, gap < 0 ? 0 : 1);
    if (bound && makespan > 0) {
      double implied = std::max(0.0, (makespan - *bound) / makespan);
      if (!(std::fabs(gap - implied) <= 1e-6))
        return claimFault(F::Gap, gap, implied);
    }
  }
  if (claims.optimal.value_or(false)) {
    if (bound && !near(*bound, makespan))
      return claimFault(F::Optimal, *bound, makespan);
    if (claims.gap && !(*claims.gap <= 1e-6))
      return claimFault(F::Optimal, *claims.gap, 0);
  }
  return {};
}

/// One program's bubble and peak memory against the simulated ones.
ScheduleFault checkProgramClaims(const ScheduleClaims::Program &program,
                                 const SimResult &sim) {
  int d = program.device;
  ScheduleFault f;
  f.kind = ScheduleFault::ProgramClaimMismatch;
  f.device = d;
  if (program.bubble && d < int(sim.bubbleRatio.size()) &&
      !(std::fabs(*program.bubble - sim.bubbleRatio[d]) <= 1e-6)) {
    f.claim = ScheduleFault::Bubble;
    f.startMs = *program.bubble;
    f.readyMs = sim.bubbleRatio[d];
    return f;
  }
  if (program.peakMemoryBytes && d < int(sim.peakMemoryBytes.size()) &&
      *program.peakMemoryBytes != sim.peakMemoryBytes[d]) {
    f.claim = ScheduleFault::PeakMemory;
    f.bytes = *program.peakMemoryBytes;
    f.limit = sim.peakMemoryBytes[d];
    return f;
  }
  return {};
}
} // namespace

ScheduleFault crosspipe::sched::checkClaims(const ScheduleClaims &claims,
                                            const SimResult &sim) {
  double makespan = sim.makespanMs;
  if (claims.makespanMs && !near(*claims.makespanMs, makespan))
    return claimFault(ScheduleFault::Makespan, *claims.makespanMs, makespan);
  if (ScheduleFault f = checkBoundClaims(claims, makespan))
    return f;
  for (const ScheduleClaims::Program &program : claims.programs)
    if (ScheduleFault f = checkProgramClaims(program, sim))
      return f;
  return {};
}
