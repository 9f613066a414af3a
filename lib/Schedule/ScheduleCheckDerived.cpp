//===- ScheduleCheckDerived.cpp - Transfers and collective spans ----------===//
//
// The annotations a schedule carries that follow from its block order under
// the model (the messages, their link windows and arrivals, the spans of
// the DP collectives): a verifier either confirms them against the
// simulation or refuses them, so no annotation is trusted unchecked.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Schedule/ScheduleCheck.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

using namespace crosspipe::sched;

namespace {
/// Slack for times that went through arithmetic and text.
bool near(double have, double want) {
  return std::fabs(have - want) <= 1e-6 * std::max(1.0, std::fabs(want));
}

using MessageKey = std::tuple<bool, int, int>; // (gradient, boundary, mb)

TransferNote noteOf(const TransferEvent &t) {
  TransferNote n;
  n.gradient = t.gradient;
  n.boundary = t.boundary();
  n.mb = t.mb;
  n.src = t.srcDevice;
  n.dst = t.dstDevice;
  n.timed = true;
  n.startMs = t.occupancy.startMs;
  n.endMs = t.occupancy.endMs;
  n.arrivalMs = t.arrivalMs;
  return n;
}

ScheduleFault transferFault(ScheduleFault::Kind kind, int transfer,
                            const TransferNote &message) {
  ScheduleFault f;
  f.kind = kind;
  f.transfer = transfer;
  f.message = message;
  return f;
}
} // namespace

ScheduleFault
crosspipe::sched::checkTransfers(const SimResult &sim,
                                 const std::vector<TransferNote> &notes) {
  if (notes.empty())
    return {};
  std::map<MessageKey, int> simulated; // -> index in sim.transfers
  for (size_t i = 0; i < sim.transfers.size(); ++i) {
    const TransferEvent &t = sim.transfers[i];
    simulated[{t.gradient, t.boundary(), t.mb}] = int(i);
  }
  std::map<MessageKey, int> seen; // -> index in notes
  for (size_t i = 0; i < notes.size(); ++i) {
    const TransferNote &n = notes[i];
    MessageKey key{n.gradient, n.boundary, n.mb};
    auto it = simulated.find(key);
    if (it == simulated.end())
      return transferFault(ScheduleFault::UnknownTransfer, int(i), n);
    auto [first, fresh] = seen.emplace(key, int(i));
    if (!fresh) {
      ScheduleFault f = transferFault(ScheduleFault::DuplicateTransfer,
                                      int(i), n);
      f.otherTransfer = first->second;
      return f;
    }
    TransferNote want = noteOf(sim.transfers[it->second]);
    // The route is the op verifier's (it knows the stages' devices).
    if (n.timed && !(near(n.startMs, want.startMs) &&
                     near(n.endMs, want.endMs) &&
                     near(n.arrivalMs, want.arrivalMs))) {
      ScheduleFault f = transferFault(ScheduleFault::TransferTime, int(i),
                                      want);
      f.startMs = n.startMs;
      f.endMs = n.endMs;
      f.readyMs = n.arrivalMs;
      return f;
    }
  }
  for (const TransferEvent &t : sim.transfers)
    if (!seen.count({t.gradient, t.boundary(), t.mb}))
      return transferFault(ScheduleFault::MissingTransfer, -1, noteOf(t));
  return {};
}

ScheduleFault crosspipe::sched::checkCollectiveTimes(
    const SimResult &sim, const std::vector<CollectiveNote> &notes) {
  // (device, chunk, kind, bucket) -> simulated span.
  std::map<std::tuple<int, int, int, int>, Interval> spans;
  for (const CollectiveEvent &c : sim.collectives)
    spans[{c.device, c.chunk, int(c.kind), c.bucket}] = c.time;
  for (size_t i = 0; i < notes.size(); ++i) {
    const CollectiveNote &n = notes[i];
    if (!n.time.timed)
      continue;
    auto it = spans.find({n.device, n.chunk, int(n.kind), n.bucket});
    // checkCollectiveSet ties every note to a simulated collective; one the
    // simulation lacks has no model span to confirm.
    Interval want = it == spans.end() ? Interval{-1, -1} : it->second;
    if (near(n.time.startMs, want.startMs) && near(n.time.endMs, want.endMs))
      continue;
    ScheduleFault f;
    f.kind = ScheduleFault::CollectiveTime;
    f.collective = int(i);
    f.device = n.device;
    f.startMs = n.time.startMs;
    f.endMs = n.time.endMs;
    f.simStartMs = want.startMs;
    f.simEndMs = want.endMs;
    return f;
  }
  return {};
}
