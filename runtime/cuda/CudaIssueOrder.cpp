//===- CudaIssueOrder.cpp - The host issue order of a step ---------------===//
//
// planIssueOrder: the order in which the host issues a step's actions to
// their streams. One device (NCCL): program order. EMULATE (every device in
// one process): an event a step waits for must be recorded before the wait
// is issued, across devices, so the streams are walked together: each
// advances in program order, a send goes out with its receive once both
// head their streams and everything either waits for is issued, and among
// the ready heads the earliest in the model goes first, so the link lanes
// see messages in the model's order.
//
//===----------------------------------------------------------------------===//

#include "cuda/CudaExecutor.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace crosspipe::rt;
using namespace crosspipe::rt::cuda;

namespace {

/// The step planIssueOrder issues next under EMULATE: action i of device d
/// and, for a send, its receive (action ri of device rd); `at` is its start
/// in the model.
struct Pick {
  int d = -1, i = -1, rd = -1, ri = -1;
  double at = 0;
};

/// planIssueOrder's walk under EMULATE: each stream's cursor, the actions
/// issued so far, and the receive of each (channel, sequence number).
class IssueWalk {
public:
  explicit IssueWalk(const PlanIndex &index);
  int64_t remaining() const { return left; }
  /// The ready stream head that starts earliest in the model: not a
  /// receive, its waits issued, and for a send its receive heading its own
  /// stream with its waits issued. `pick.d` < 0 when none is ready; false
  /// (with `error`) for a send without a receive.
  bool next(Pick &pick, std::string &error) const;
  /// Marks action i of device d issued and advances its stream.
  void issue(int d, int i);
  /// The stream heads still waiting, for the error that nothing is ready.
  std::string waitingHeads() const;

private:
  bool waitsIssued(int d, int i) const;
  int head(int d, int k) const;

  const PlanIndex &index;
  std::vector<std::vector<std::pair<int, int>>> recvOf;
  std::vector<std::vector<char>> issued;
  std::vector<std::array<size_t, kNumStreams>> cursor;
  int64_t left = 0;
};

IssueWalk::IssueWalk(const PlanIndex &index) : index(index) {
  const crosspipe_plan &p = index.plan();
  recvOf.resize(p.num_channels);
  for (int c = 0; c < p.num_channels; ++c)
    recvOf[c].assign(index.channelMessages(c), {-1, -1});
  issued.resize(p.devices);
  cursor.resize(p.devices);
  for (int d = 0; d < p.devices; ++d) {
    for (int i = 0; i < p.programs[d].count; ++i) {
      const ActionInfo &a = index.info(d, i);
      if (isRecv(a.op) && a.seq >= 0 && a.seq < int(recvOf[a.channel].size()))
        recvOf[a.channel][a.seq] = {d, i};
    }
    issued[d].assign(p.programs[d].count, 0);
    cursor[d].fill(0);
    for (int k = 0; k < kNumStreams; ++k)
      left += index.device(d).streams[k].size();
  }
}

bool IssueWalk::waitsIssued(int d, int i) const {
  const ActionInfo &a = index.info(d, i);
  const DeviceIndex &dev = index.device(d);
  for (int k = 0; k < a.numWaits; ++k)
    if (!issued[d][dev.waits[a.firstWait + k]])
      return false;
  return true;
}

int IssueWalk::head(int d, int k) const {
  const std::vector<int32_t> &s = index.device(d).streams[k];
  return cursor[d][k] < s.size() ? s[cursor[d][k]] : -1;
}

bool IssueWalk::next(Pick &pick, std::string &error) const {
  const crosspipe_plan &p = index.plan();
  const ModelTimeline &model = index.model();
  pick = Pick();
  for (int d = 0; d < p.devices; ++d)
    for (int k = 0; k < kNumStreams; ++k) {
      int i = head(d, k);
      if (i < 0)
        continue;
      const ActionInfo &a = index.info(d, i);
      if (isRecv(a.op) || !waitsIssued(d, i))
        continue;
      int rd = -1, ri = -1;
      if (isSend(a.op)) {
        std::pair<int, int> r =
            a.seq >= 0 && a.seq < int(recvOf[a.channel].size())
                ? recvOf[a.channel][a.seq]
                : std::make_pair(-1, -1);
        rd = r.first;
        ri = r.second;
        if (rd < 0) {
          error = "cannot emulate the plan: " + index.where(d, i) +
                  " has no matching receive";
          return false;
        }
        if (head(rd, index.info(rd, ri).stream) != ri || !waitsIssued(rd, ri))
          continue;
      }
      double at = model.ok && d < int(model.start.size()) &&
                          i < int(model.start[d].size())
                      ? model.start[d][i]
                      : 0;
      if (pick.d < 0 || at < pick.at)
        pick = {d, i, rd, ri, at};
    }
  return true;
}

void IssueWalk::issue(int d, int i) {
  issued[d][i] = 1;
  ++cursor[d][index.info(d, i).stream];
  --left;
}

std::string IssueWalk::waitingHeads() const {
  const crosspipe_plan &p = index.plan();
  std::string heads;
  for (int d = 0; d < p.devices && heads.size() < 400; ++d)
    for (int k = 0; k < kNumStreams; ++k)
      if (head(d, k) >= 0)
        heads += (heads.empty() ? "" : "; ") + index.where(d, head(d, k));
  return heads;
}
} // namespace

bool CudaExecutor::planIssueOrder(const PlanIndex &index, std::string &error) {
  const crosspipe_plan &p = index.plan();
  order.clear();
  partnerOf.assign(p.devices, {});
  if (!emulate) {
    // One device: program order (every wait names an earlier action).
    for (int i = 0; i < p.programs[myDevice].count; ++i)
      if (index.info(myDevice, i).op != CROSSPIPE_OP_WAIT)
        order.push_back({myDevice, i, -1});
    return true;
  }
  // EMULATE: every event a step waits for must have been recorded (issued)
  // before the wait is issued, across devices. Streams advance in program
  // order; a send goes out together with its receive (one unit on the
  // link's lane) once both head their streams and everything either waits
  // for is issued; among the ready heads the earliest in the model goes
  // first, so the lanes see messages in the model's order.
  for (int d = 0; d < p.devices; ++d)
    partnerOf[d].assign(p.programs[d].count, -1);
  IssueWalk walk(index);
  while (walk.remaining() > 0) {
    Pick pick;
    if (!walk.next(pick, error))
      return false;
    if (pick.d < 0) {
      error = "cannot order the plan's actions for one process (a wait "
              "cycle, or a send whose receive never heads its stream): "
              "waiting are " +
              walk.waitingHeads();
      return false;
    }
    order.push_back({pick.d, pick.i, pick.ri});
    if (pick.rd >= 0) {
      partnerOf[pick.d][pick.i] = pick.rd; // device of the receive
      walk.issue(pick.rd, pick.ri);
    }
    walk.issue(pick.d, pick.i);
  }
  return true;
}
