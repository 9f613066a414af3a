//===- TorchSchedule.h - PyTorch pipelining schedule CSVs -------*- C++ -*-===//
//
// Schedules in the CSV form that torch.distributed.pipelining's
// _PipelineScheduleRuntime loads (`_load_csv`) and writes (`_dump_csv`):
// one row per pipeline rank, one action per cell, `<stage><type><mb>`:
//
//   F  forward          I  backward for inputs (our D)   W  weight gradient
//   B  fused backward   SEND_F / RECV_F, SEND_B / RECV_B  point-to-point
//   REDUCE_GRAD (no microbatch): the stage's data-parallel gradient reduction
//   UNSHARD / RESHARD (FSDP, no microbatch), (a;b)OVERLAP_F_B: sub-actions
//
// Mapping: rank r is our device r, stage s our chunk s (its device is the
// problem's placement, so unidirectional, interleaved and wave/V placements
// all map one to one). An empty cell is an idle step. With communication,
// `<s>SEND_F<m>` sits on the rank of stage s, `<s+1>RECV_F<m>` on the rank of
// stage s + 1 (and `<s>SEND_B<m>` / `<s-1>RECV_B<m>` for gradients), as
// PyTorch's own lowering writes them.
//
// Writing: sub-blocks become one action when a block's parts run back to back
// (exact), else the schedule is refused; the communication form places every
// send and receive at the simulated send time, the same global order on
// every rank (receives first at equal times), so no pair of ranks can wait
// on each other, and REDUCE_GRAD where the schedule reduces a chunk's whole
// gradient (after its last backward when the schedule carries none), and
// refuses bucketed and ZeRO-1 collectives, which the format cannot express.
// Reading: either form; sends and receives are checked (each matched once,
// a receive before its consumer, a send after its producer) and dropped
// (our runtime places them), REDUCE_GRAD becomes a whole-chunk all-reduce
// when the problem has data parallelism, UNSHARD/RESHARD are ignored with a
// warning, OVERLAP_F_B runs its sub-actions in order (the model does not
// overlap compute). Errors name the row and column.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_FORMAT_TORCHSCHEDULE_H
#define CROSSPIPE_FORMAT_TORCHSCHEDULE_H

#include "crosspipe/Schedule/ScheduleCheck.h"

#include <string>
#include <string_view>
#include <vector>

namespace crosspipe {
namespace sched {

enum class TorchForm {
  ComputeOnly, ///< `_load_csv(path)` / format="compute_only"
  WithComms    ///< format="compute_comms"
};

struct TorchWriteResult {
  bool ok = false;
  std::string csv;
  std::string error;
};

/// Writes `schedule` (simulated as `sim`, which must be ok) with the
/// collectives it carries (`collectives`, as readCollectives gives them;
/// empty when none).
TorchWriteResult writeTorchSchedule(const Problem &problem,
                                    const Schedule &schedule,
                                    const SimResult &sim,
                                    const std::vector<CollectiveNote> &collectives,
                                    TorchForm form);

/// A cell of the CSV: 1-based row (rank + 1) and column.
struct TorchCell {
  int row = 0;
  int column = 0;
};

struct TorchReadResult {
  bool ok = false;
  Schedule schedule;
  /// Where each block came from (parallel to schedule.order).
  std::vector<std::vector<TorchCell>> cells;
  /// Whole-chunk all-reduces from REDUCE_GRAD (problems with DP only).
  std::vector<CollectiveNote> collectives;
  std::vector<TorchCell> collectiveCells;
  bool withComms = false;
  /// Set when !ok.
  TorchCell at;
  std::string error;
  /// Accepted but not modelled (UNSHARD/RESHARD, OVERLAP_F_B).
  std::vector<std::pair<TorchCell, std::string>> warnings;
};

/// Reads a CSV in either form against `problem`.
TorchReadResult readTorchSchedule(const Problem &problem, std::string_view csv);

} // namespace sched
} // namespace crosspipe

#endif // CROSSPIPE_FORMAT_TORCHSCHEDULE_H
