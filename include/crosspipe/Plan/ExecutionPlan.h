//===- ExecutionPlan.h - A schedule's streams, events and slots -*- C++ -*-===//
//
// The execution plan as plain data: which buffers each device allocates
// (with how many slots), and every stream action of every device (compute a
// block, send or receive a message, reduce a gradient) in one global issue
// order, each with the earlier actions whose completion it waits on. It is
// what the paper's execution engine decides at compile time; the
// --crosspipe-execution-plan pass writes it as crosspipe.plan IR, and later
// work serializes and runs it. Free of MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_PLAN_EXECUTIONPLAN_H
#define CROSSPIPE_PLAN_EXECUTIONPLAN_H

#include "crosspipe/Schedule/Simulator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crosspipe {
namespace plan {

/// What a buffer holds: a chunk's activation stash, a message (activation
/// forward or gradient backward, by boundary) or a parameter gradient.
enum class BufferRole { Stash, Act, Grad, ParamGrad };
/// The communication streams of a device (compute and DP are implied by the
/// action kind).
enum class Stream { SendNext, RecvNext, SendPrev, RecvPrev };

struct Buffer {
  std::string name;
  int device = 0;
  BufferRole role = BufferRole::Stash;
  /// The chunk (stash, parameter gradient) or boundary (messages).
  int chunk = 0;
  int slots = 0;
  uint64_t bytes = 0;
};

/// A slot of a buffer; buffer -1 means none.
struct SlotRef {
  int buffer = -1;
  int slot = 0;
};

/// The order matters: at equal simulated times receives are posted first
/// and sends follow their producers.
enum class ActionKind { Recv, Exec, Send, Reduce };

/// A place in a device's schedule order.
struct Pos {
  int device = -1;
  int index = -1;
};

struct Action {
  ActionKind kind = ActionKind::Exec;
  int device = 0;
  /// Earlier actions (indices into Plan::actions) whose completion this one
  /// waits on.
  std::vector<int> waits;
  /// The schedule block the action belongs to: the block itself (Exec), its
  /// producer (Send) or its consumer (Recv); device -1 for a reduction.
  Pos anchor;

  // Exec.
  sched::Block block;
  sched::Interval time;
  SlotRef input, output, stash;
  int grads = -1; ///< Parameter-gradient buffer (W, or B when fused).

  // Send and Recv.
  bool gradient = false;
  int boundary = 0; ///< Named by its lower chunk.
  int mb = 0;
  int src = 0, dst = 0;
  Stream stream = Stream::SendNext;
  SlotRef buffer;
  sched::Interval occupancy; ///< Send: the link's bandwidth window.
  double arrivalMs = 0;      ///< Recv: when the message arrives.

  // Reduce: the simulator's collective, and the chunk's gradient buffer.
  // An all-reduce or reduce-scatter moves gradient bucket `bucket` of
  // `buckets`; an all-gather (ZeRO-1) the whole chunk's parameters.
  int collective = -1;
  int chunk = 0;
  int gradBuffer = -1;
  sched::CollectiveKind collectiveKind = sched::CollectiveKind::AllReduce;
  int bucket = 0;
  int buckets = 1;
};

struct Plan {
  int numDevices = 0;
  double makespanMs = 0;
  std::vector<Buffer> buffers;
  /// Every action in one issue order: a topological order of the waits.
  std::vector<Action> actions;
};

/// Plans a schedule that simulated successfully (sim.ok) under `problem`.
/// Slot lifetimes come from simulated times ([producer start, link done]
/// for a send buffer, [send, consumer end] for a receive buffer), so slot
/// waits never bind when the run follows the model. Data-parallel
/// collectives follow Problem::dpBuckets and zero1: an all-reduce (or
/// reduce-scatter) of a bucket waits, for every microbatch, for the part of
/// the block that completes the bucket's share of the gradient; an
/// all-gather runs first and the chunk's first F waits for it. Returns ""
/// on success, else why the schedule cannot be planned.
std::string buildPlan(const sched::Problem &problem,
                      const sched::Schedule &schedule,
                      const sched::SimResult &sim, Plan &out);

} // namespace plan
} // namespace crosspipe

#endif // CROSSPIPE_PLAN_EXECUTIONPLAN_H
