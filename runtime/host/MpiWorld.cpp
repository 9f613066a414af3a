//===- MpiWorld.cpp - MPI start, agreement, abort notices and finalize ----===//
//
// See MpiWorld.h. MPI starts only when a launcher says this process is one
// of several (OMPI_COMM_WORLD_SIZE, PMI_SIZE), with MPI_THREAD_MULTIPLE
// since every stream thread sends and receives. Blocking collectives would
// spin forever if a peer died, so the barrier polls a non-blocking one and
// the abort notice; the abort notice is a message on tag 1 that each
// process listens for from the start. MPI_Finalize runs in MpiSession's
// destructor, after pending receives are cancelled, on every way out of
// crosspipe_host_main.
//
//===----------------------------------------------------------------------===//

#include "host/MpiWorld.h"
#include "host/HostState.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#ifdef CROSSPIPE_WITH_MPI
#include <mpi.h>
#endif

using namespace crosspipe::rt::host;

namespace {
/// Whether a launcher started this process as one of several.
int launchedSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *value = std::getenv(name))
      return std::atoi(value);
  return 0;
}
} // namespace

#ifdef CROSSPIPE_WITH_MPI

namespace {
constexpr int kAbortTag = 1;
constexpr int kGatherTag = 0;
} // namespace

MpiSession::MpiSession(int *argc, char ***argv) {
  if (launchedSize() < 1)
    return;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) !=
      MPI_SUCCESS) {
    errorText = "MPI_Init_thread failed";
    return;
  }
  worldValue.reset(new MpiWorld());
  MpiWorld &w = *worldValue;
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rankValue);
  MPI_Comm_size(MPI_COMM_WORLD, &w.sizeValue);
  int *ub = nullptr, flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag);
  if (flag && ub)
    w.tagUpperBound = *ub;
  if (provided < MPI_THREAD_MULTIPLE)
    errorText = "this MPI does not provide MPI_THREAD_MULTIPLE, which the "
                "host executor's stream threads need";
  auto *request = new MPI_Request;
  MPI_Irecv(&w.abortBuffer, 1, MPI_INT, MPI_ANY_SOURCE, kAbortTag,
            MPI_COMM_WORLD, request);
  w.abortRequest = request;
}

MpiSession::~MpiSession() {
  if (!worldValue)
    return;
  auto *request = static_cast<MPI_Request *>(worldValue->abortRequest);
  int done = 0;
  MPI_Test(request, &done, MPI_STATUS_IGNORE);
  if (!done) {
    MPI_Cancel(request);
    MPI_Wait(request, MPI_STATUS_IGNORE);
  }
  delete request;
  MPI_Finalize();
}

bool MpiWorld::agree(bool ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

bool MpiWorld::barrier(const std::function<bool()> &aborting) {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  auto pause = std::chrono::microseconds(20);
  for (;;) {
    int done = 0, from = -1;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done)
      return true;
    if (aborting() || abortReceived(from)) {
      // The barrier cannot be cancelled; the run ends, and MPI_Finalize
      // runs with it pending, which MPI tolerates at exit.
      return false;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

void MpiWorld::sendAbort() {
  if (abortPosted)
    return;
  abortPosted = true;
  static int one = 1;
  for (int r = 0; r < sizeValue; ++r) {
    if (r == rankValue)
      continue;
    MPI_Request request;
    MPI_Isend(&one, 1, MPI_INT, r, kAbortTag, MPI_COMM_WORLD, &request);
    MPI_Request_free(&request);
  }
}

bool MpiWorld::abortReceived(int &from) {
  auto *request = static_cast<MPI_Request *>(abortRequest);
  if (!request || *request == MPI_REQUEST_NULL)
    return false;
  int done = 0;
  MPI_Status status;
  MPI_Test(request, &done, &status);
  if (!done)
    return false;
  from = status.MPI_SOURCE;
  return true;
}

bool MpiWorld::gather(std::vector<std::vector<double>> &perRank) {
  if (rankValue != 0)
    return MPI_Send(perRank[rankValue].data(), int(perRank[rankValue].size()),
                    MPI_DOUBLE, 0, kGatherTag, MPI_COMM_WORLD) == MPI_SUCCESS;
  for (int r = 1; r < sizeValue; ++r)
    if (MPI_Recv(perRank[r].data(), int(perRank[r].size()), MPI_DOUBLE, r,
                 kGatherTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return false;
  return true;
}

#else // !CROSSPIPE_WITH_MPI

MpiSession::MpiSession(int *, char ***) {
  if (launchedSize() > 1)
    errorText = "launched as one of several processes, but this runner was "
                "built without MPI (configure runtime/ with "
                "CROSSPIPE_WITH_MPI=ON), or run it without mpirun";
}

MpiSession::~MpiSession() = default;

bool MpiWorld::agree(bool ok) { return ok; }
bool MpiWorld::barrier(const std::function<bool()> &) { return true; }
void MpiWorld::sendAbort() {}
bool MpiWorld::abortReceived(int &) { return false; }
bool MpiWorld::gather(std::vector<std::vector<double>> &) { return true; }

std::unique_ptr<Transport> crosspipe::rt::host::makeMpiTransport(HostExecutor &,
                                                                 MpiWorld &) {
  return nullptr;
}

#endif // CROSSPIPE_WITH_MPI
