//===- CpModel.cpp - Posting the solver instance as Gecode constraints ----===//
//
// Each order Boolean o(a, b) is linked to the start times by two half-
// reified precedences (o -> a ends before b starts; not o -> b ends before a
// starts), so a decision immediately moves time bounds and a tightened time
// bound immediately decides orders. The unary and cumulative global
// constraints add edge-finding on top, which is what makes the makespan
// bound bite early in the search. Posting checks the deadline, since a
// model of millions of clauses takes seconds to post.
//
//===----------------------------------------------------------------------===//

#include "CpModel.h"

using namespace Gecode;
using namespace crosspipe::sched::solver;

Phases::Phases(const Instance &inst)
    : values(new std::atomic<bool>[inst.pairs.size()]) {
  for (size_t i = 0; i < inst.pairs.size(); ++i)
    values[i].store(inst.pairs[i].seedFirst, std::memory_order_relaxed);
}

void Phases::adopt(const Instance &inst, const std::vector<int> &starts) {
  for (size_t i = 0; i < inst.pairs.size(); ++i) {
    const OrderPair &p = inst.pairs[i];
    set(int(i),
        starts[p.a] < starts[p.b] || (starts[p.a] == starts[p.b] && p.a < p.b));
  }
}

CpSpace::CpSpace(const Instance &inst, std::shared_ptr<Phases> phases,
                 int maxMakespan, const SearchClock *deadline)
    : inst(inst), deadline(deadline), phases(std::move(phases)),
      start(*this, int(inst.tasks.size()), 0, inst.horizon),
      order(*this, int(inst.pairs.size()), 0, 1),
      fifo(*this, int(inst.fifo.size()), 0, 1),
      makespan(*this, 0, inst.horizon) {
  rel(*this, makespan, IRT_GQ, inst.minMakespan);
  rel(*this, makespan, IRT_LQ, maxMakespan);
  for (size_t i = 0; i < inst.tasks.size(); ++i)
    if (inst.tasks[i].release > 0)
      rel(*this, start[int(i)], IRT_GQ, inst.tasks[i].release);
  postPrecedences();
  postResources();
  postOrders();
  if (!stoppedPosting)
    postBranching();
}

bool CpSpace::outOfTime(size_t posted) {
  if (!stoppedPosting && deadline && posted % 4096 == 4095 &&
      deadline->expired())
    stoppedPosting = true;
  return stoppedPosting;
}

CpSpace::CpSpace(CpSpace &other)
    : IntMinimizeSpace(other), inst(other.inst), phases(other.phases) {
  start.update(*this, other.start);
  order.update(*this, other.order);
  fifo.update(*this, other.fifo);
  makespan.update(*this, other.makespan);
}

Space *CpSpace::copy() { return new CpSpace(*this); }

void CpSpace::boundMakespan(int maxMakespan) {
  rel(*this, makespan, IRT_LQ, maxMakespan);
}

void CpSpace::keepOrdersOutside(const std::vector<int> &starts, int from,
                                int to) {
  auto outside = [&](int t) { return starts[t] < from || starts[t] >= to; };
  for (size_t i = 0; i < inst.pairs.size(); ++i) {
    const OrderPair &p = inst.pairs[i];
    if (outside(p.a) && outside(p.b))
      rel(*this, order[int(i)], IRT_EQ, starts[p.a] < starts[p.b] ? 1 : 0);
  }
}

std::vector<int> CpSpace::startValues() const {
  std::vector<int> values(start.size());
  for (int i = 0; i < start.size(); ++i)
    values[i] = start[i].val();
  return values;
}

void CpSpace::postPrecedences() {
  for (const Arc &a : inst.arcs)
    // start[to] - start[from] >= lag.
    linear(*this, IntArgs({1, -1}), IntVarArgs({start[a.to], start[a.from]}),
           IRT_GQ, a.lag);
  for (int s : inst.sinks)
    linear(*this, IntArgs({1, -1}), IntVarArgs({makespan, start[s]}), IRT_GQ,
           inst.tasks[s].duration + inst.tasks[s].tail);
}

void CpSpace::postResources() {
  auto unaryOver = [&](const std::vector<int> &tasks) {
    if (tasks.size() < 2)
      return;
    IntVarArgs s;
    IntArgs d;
    for (int t : tasks) {
      s << start[t];
      d << inst.tasks[t].duration;
    }
    unary(*this, s, d);
  };
  for (const std::vector<int> &tasks : inst.devices)
    unaryOver(tasks);
  for (const std::vector<int> &tasks : inst.queues)
    unaryOver(tasks);
  for (const std::vector<int> &tasks : inst.comm)
    unaryOver(tasks);
  for (const MemoryGroup &g : inst.memory) {
    // A holding interval runs from its F's start to its release's end.
    IntVarArgs s, p, e;
    IntArgs u;
    for (size_t i = 0; i < g.first.size(); ++i) {
      IntVar from = start[g.first[i]];
      IntVar end =
          expr(*this, start[g.last[i]] + inst.tasks[g.last[i]].duration);
      s << from;
      e << end;
      p << expr(*this, end - from);
      u << g.height[i];
    }
    cumulative(*this, g.capacity, s, p, e, u);
  }
}

void CpSpace::postOrders() {
  for (size_t i = 0; i < inst.pairs.size(); ++i) {
    if (outOfTime(i))
      return;
    const OrderPair &pr = inst.pairs[i];
    IntVar a = start[pr.a], b = start[pr.b];
    int da = inst.tasks[pr.a].duration, db = inst.tasks[pr.b].duration;
    // o -> a + da <= b.
    linear(*this, IntArgs({1, -1}), IntVarArgs({a, b}), IRT_LQ, -da,
           Reify(order[int(i)], RM_IMP));
    // (a - b <= db - 1) -> o, i.e. not o -> b + db <= a.
    linear(*this, IntArgs({1, -1}), IntVarArgs({a, b}), IRT_LQ, db - 1,
           Reify(order[int(i)], RM_PMI));
  }
  for (size_t i = 0; i < inst.clauses.size(); ++i) {
    if (outOfTime(i))
      return;
    const Clause &c = inst.clauses[i];
    BoolVarArgs pos, neg;
    for (int k = 0; k < c.size; ++k)
      (c.lits[k].value ? pos : neg) << order[c.lits[k].pair];
    clause(*this, BOT_OR, pos, neg, 1);
  }
  postMemoryChecks();
  for (size_t i = 0; i < inst.fifo.size(); ++i) {
    const FifoPair &f = inst.fifo[i];
    const Task &ta = inst.tasks[f.a], &tb = inst.tasks[f.b];
    int pa = ta.producer, pb = tb.producer;
    int sendDiff = inst.tasks[pb].duration - inst.tasks[pa].duration;
    if (f.sameSender) {
      rel(*this, fifo[int(i)], f.byOrder.value ? IRT_EQ : IRT_NQ,
          order[f.byOrder.pair]);
    } else {
      // o <-> send(a) < send(b) (or <= when a wins ties), with
      // send = producer start + producer duration.
      linear(*this, IntArgs({1, -1}), IntVarArgs({start[pa], start[pb]}),
             IRT_LQ, sendDiff - (f.aWinsTie ? 0 : 1),
             Reify(fifo[int(i)], RM_EQV));
    }
    linear(*this, IntArgs({1, -1}), IntVarArgs({start[f.a], start[f.b]}),
           IRT_LQ, -ta.duration, Reify(fifo[int(i)], RM_IMP));
    linear(*this, IntArgs({1, -1}), IntVarArgs({start[f.a], start[f.b]}),
           IRT_LQ, tb.duration - 1, Reify(fifo[int(i)], RM_PMI));
  }
}

void CpSpace::postMemoryChecks() {
  for (const MemoryCheck &check : inst.memoryChecks) {
    // sum height * [held] <= capacity, with a negative literal written as
    // height * (1 - o) and a conjunction as its own Boolean.
    IntArgs coeffs;
    BoolVarArgs held;
    int rhs = check.capacity;
    for (const MemoryTerm &term : check.terms) {
      if (term.all.empty()) {
        rhs -= term.height;
      } else if (term.all.size() == 1) {
        const Literal &l = term.all[0];
        coeffs << (l.value ? term.height : -term.height);
        held << order[l.pair];
        if (!l.value)
          rhs -= term.height;
      } else {
        BoolVarArgs pos, neg;
        for (const Literal &l : term.all)
          (l.value ? pos : neg) << order[l.pair];
        BoolVar both(*this, 0, 1);
        clause(*this, BOT_AND, pos, neg, both);
        coeffs << term.height;
        held << both;
      }
    }
    if (held.size() == 0) {
      if (rhs < 0)
        fail();
      continue;
    }
    linear(*this, coeffs, held, IRT_LQ, rhs);
  }
}

void CpSpace::postBranching() {
  std::shared_ptr<Phases> table = phases;
  auto value = [table](const Space &, BoolVar, int i) {
    return table->get(i) ? 1 : 0;
  };
  branch(*this, order, BOOL_VAR_CHB_MAX(), BOOL_VAL(value));
  // With every device order decided, earliest starts in time order are the
  // simulator's timeline; FIFO and memory then only check it.
  branch(*this, start, INT_VAR_MIN_MIN(), INT_VAL_MIN());
  branch(*this, makespan, INT_VAL_MIN());
}
