//===- MpiWorld.h - The processes of a run under mpirun ---------*- C++ -*-===//
//
// When crosspipe-host-run is launched one process per device (mpirun -np
// P), each process runs one device and channels cross processes over MPI
// point-to-point messages (MpiTransport.cpp). MpiWorld wraps what the rest
// of the host executor needs: initialization with thread support (every
// stream thread may post messages), rank and size, agreement on success,
// the abort notice a failing process sends to the others so that none of
// them waits for a message that will never come, the gather of measured
// times, and MPI_Finalize on every exit path (MpiSession). Without MPI at
// build time (CROSSPIPE_WITH_MPI unset) a launch under mpirun is refused.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_RUNTIME_HOST_MPIWORLD_H
#define CROSSPIPE_RUNTIME_HOST_MPIWORLD_H

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace crosspipe {
namespace rt {
namespace host {

class HostExecutor;
class Transport;

class MpiWorld {
public:
  int rank() const { return rankValue; }
  int size() const { return sizeValue; }

  /// True iff `ok` holds on every process.
  bool agree(bool ok);
  /// Waits until every process arrives, polling so that an abort notice
  /// (`aborting`) ends the wait; false then.
  bool barrier(const std::function<bool()> &aborting);
  /// Tells every other process that this one failed.
  void sendAbort();
  /// Whether another process sent its abort notice (polls once).
  bool abortReceived(int &from);
  /// Rank 0 receives every rank's vector (rank r's at [r]); the others
  /// send theirs. Vectors' sizes are known to all.
  bool gather(std::vector<std::vector<double>> &perRank);
  /// The largest tag MPI allows.
  int maxTag() const { return tagUpperBound; }

private:
  friend class MpiSession;
  MpiWorld() = default;
  int rankValue = 0, sizeValue = 1, tagUpperBound = 32767;
  bool abortPosted = false;
  void *abortRequest = nullptr; ///< MPI_Request of the abort receive.
  int abortBuffer = 0;
};

/// MPI for the life of a run: initialized when the process was launched by
/// mpirun with more than one process, finalized when the session ends,
/// whichever way it ends.
class MpiSession {
public:
  MpiSession(int *argc, char ***argv);
  ~MpiSession();
  /// The world, or nullptr when this run is one process.
  MpiWorld *world() { return worldValue.get(); }
  /// Empty, or why MPI could not start.
  const std::string &error() const { return errorText; }

private:
  std::unique_ptr<MpiWorld> worldValue;
  std::string errorText;
};

/// Channels over MPI point-to-point messages.
std::unique_ptr<Transport> makeMpiTransport(HostExecutor &executor,
                                            MpiWorld &world);

} // namespace host
} // namespace rt
} // namespace crosspipe

#endif // CROSSPIPE_RUNTIME_HOST_MPIWORLD_H
