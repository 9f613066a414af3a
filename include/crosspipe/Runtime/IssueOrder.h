//===- IssueOrder.h - NCCL operations in one order on every device -*- C++ -*-===//
//
// NCCL only guarantees progress when the operations of different
// communicators are issued in one order that every rank agrees with: each
// device's host issue order must be a restriction of one global order of
// all operations (with NCCL_LAUNCH_ORDER_IMPLICIT the GPU then also starts
// them in that order). An operation is identified by a key the same on
// every device taking part (a message: its role, boundary and microbatch; a
// collective: its kind, chunk and bucket). Such a global order exists
// exactly when the relation "issued right before on some device" has no
// cycle; this finds one if it does. The one home of this rule: the
// compiler's plan proof (lib/Plan) and the runtime's plan check
// (runtime/core) both call it. Plain C++17, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_ISSUEORDER_H
#define CROSSPIPE_RUNTIME_ISSUEORDER_H

#include <cstdint>
#include <vector>

namespace crosspipe {
namespace rt {

/// One operation in a device's issue order: its key, and the caller's
/// index of the action that issues it (returned in a cycle).
struct IssuedOp {
  uint64_t key = 0;
  int64_t action = 0;
};

/// Two operations one device issues in a row, earlier first.
struct IssueEdge {
  int device = 0;
  int64_t before = 0, after = 0; ///< Actions, as given in IssuedOp.
};

/// `perDevice[d]` lists the operations device d issues, in order. Returns
/// true when one global order agrees with all of them; otherwise false with
/// `cycle` set to issue edges that form a cycle (each edge's `after`
/// operation is the next edge's `before` operation, the last leading back
/// to the first). Linear in the number of operations, no recursion.
bool consistentIssueOrder(const std::vector<std::vector<IssuedOp>> &perDevice,
                          std::vector<IssueEdge> &cycle);

} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_ISSUEORDER_H
