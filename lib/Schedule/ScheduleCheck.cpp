//===- ScheduleCheck.cpp - Completeness, device order and memory ----------===//
//
// The schedule checks that need no IR: they find the first fault in program
// order, so the diagnostics a caller builds from them are deterministic.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/ScheduleCheck.h"
#include "crosspipe/Schedule/BlockGraph.h"

#include <algorithm>

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
