//===- PlanIndex.h - What every action of a plan touches --------*- C++ -*-===//
//
// A checked plan says what each action is; the index derives, once per
// plan, what executing it needs: the stream it runs on, the buffer slots it
// reads and writes with the tags it checks and writes, the channel, peer
// device, link and position of a message on its channel, the earlier
// actions it waits for, its modelled duration, and the modelled timeline
// of the whole step (the predicted trace, the model_ms of the profile, the
// simulated step when the plan carries none). Backend-neutral: the host
// and CUDA executors both run from it.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_CORE_PLANINDEX_H
#define CROSSPIPE_RUNTIME_CORE_PLANINDEX_H

#include "PlanInternal.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {

/// The streams of a device (numbered as the CUDA runtime numbers them).
enum StreamKind {
  kComputeStream = 0,
  kSendNextStream = 1, ///< SEND_ACT
  kRecvNextStream = 2, ///< RECV_GRAD
  kSendPrevStream = 3, ///< SEND_GRAD
  kRecvPrevStream = 4, ///< RECV_ACT
  kDpStream = 5,
  kNumStreams = 6
};
const char *streamName(int stream);
int streamOf(int op);

/// What a slot's tag says: who wrote it, for which step. Steps count from
/// 1; an all-zero tag was never written.
struct Tag {
  int32_t role = 0, chunk = 0, mb = 0, step = 0;
  bool operator==(const Tag &o) const {
    return role == o.role && chunk == o.chunk && mb == o.mb && step == o.step;
  }
  bool operator!=(const Tag &o) const { return !(*this == o); }
};
/// "act boundary 0 mb 2 of step 3", "no tag (never written)".
std::string describeTag(const Tag &tag);

/// A slot of a buffer, or none.
struct SlotRef {
  int32_t buffer = -1;
  int32_t slot = 0;
  bool valid() const { return buffer >= 0; }
};

/// One action with everything derived from the tables.
struct ActionInfo {
  int32_t op = 0;
  int32_t stream = 0;
  /// Compute: input, output, stash and parameter gradient slots. Messages:
  /// `input` is the message slot (read by a send, written by a receive).
  /// Collectives: `grads`.
  SlotRef input, output, stash, grads;
  /// Messages: channel, the peer device, link, and the message's position
  /// among its channel's messages of a step.
  int32_t channel = -1, peer = -1, link = -1, seq = -1;
  uint64_t bytes = 0;
  /// Modelled milliseconds (unscaled): a block's share of its chunk's
  /// time, a collective's share, a send's bandwidth window; a receive's
  /// latency is `latencyMs`.
  double modelMs = 0, latencyMs = 0;
  /// The earlier actions this one waits for: waits[firstWait, +numWaits).
  int32_t firstWait = 0, numWaits = 0;
};

/// A device's program, indexed.
struct DeviceIndex {
  std::vector<ActionInfo> actions;
  std::vector<int32_t> waits;
  /// Non-wait actions per stream, in program order.
  std::vector<int32_t> streams[kNumStreams];
};

/// The modelled timeline of one step (unscaled ms from the step's start).
struct ModelTimeline {
  /// [device][action]; waits keep 0.
  std::vector<std::vector<double>> start, end;
  /// Sends: the bandwidth window's start (end is the send's end).
  double makespanMs = 0;
  bool ok = false;
  std::string error; ///< A deadlock under the model, if any.
};

class PlanIndex {
public:
  /// Indexes `plan`, which must have passed checkPlan (at least Structure).
  explicit PlanIndex(const crosspipe_plan &plan);

  const crosspipe_plan &plan() const { return p; }
  int devices() const { return p.devices; }
  const DeviceIndex &device(int d) const { return devs[d]; }
  const crosspipe_action &action(int d, int i) const {
    return p.programs[d].actions[i];
  }
  const ActionInfo &info(int d, int i) const { return devs[d].actions[i]; }
  /// Messages per step on each channel: max(sends, receives).
  int channelMessages(int c) const { return messages[c]; }
  int64_t actionCount() const { return total; }
  int64_t computeBlocks() const { return blocks; }

  /// "device 1: F chunk 1 mb 2 (action 7)".
  std::string where(int d, int i) const;

  const ModelTimeline &model() const { return timeline; }
  /// The simulated step: the plan's makespan_ms, else the modelled one.
  double simulatedMs() const {
    return p.makespan_ms > 0 ? p.makespan_ms : timeline.makespanMs;
  }

private:
  struct Lookup;
  void indexDevice(int d, Lookup &lookup);
  void simulate();

  const crosspipe_plan &p;
  std::vector<DeviceIndex> devs;
  std::vector<int> messages;
  int64_t total = 0, blocks = 0;
  ModelTimeline timeline;
};

/// The links whose channels start on more than one device, as "link
/// east->west (devices 1, 3)". An executor that keeps a link's queue per
/// sending process (one process per device) serializes only each device's
/// share of these; every other link is emulated exactly.
std::vector<std::string> linksWithSeveralSenders(const crosspipe_plan &plan);

/// The simulator's makespan: from the first F on device 0 to the last end
/// of a compute block or collective. `start`/`end` are [device][action].
double makespanOf(const PlanIndex &index,
                  const std::vector<std::vector<double>> &start,
                  const std::vector<std::vector<double>> &end);

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_CORE_PLANINDEX_H
