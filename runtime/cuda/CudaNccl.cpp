//===- CudaNccl.cpp - Communicators and the NCCL watchdog -----------------===//
//
// The NCCL arrangement: rank 0's unique id reaches the others over MPI
// (MpiSession of runtime/host has started MPI and finalizes it on every
// way out), the world communicator is created non-blocking, and each
// channel (one direction of one kind between two devices) gets its own
// two-rank communicator split from it with a config: non-blocking,
// splitShare (the channels share the parent's resources), CTAs bounded to
// 1..--max-ctas; a hot swap splits only the channels the new plan adds and
// releases those it drops. NCCL 2.28's config has no launch-order field; the runner
// sets NCCL_LAUNCH_ORDER_IMPLICIT=1 (NCCL >= 2.26) unless the user set it,
// so kernels of different communicators launch in host issue order. All
// channels connect in one group before the first step. A watchdog thread
// polls ncclCommGetAsyncError of every communicator; on an error (a dead
// peer, a broken network) it aborts every communicator, and the step
// fails with its message instead of hanging. Communicators are finalized
// and destroyed at close (aborted when finalizing does not finish).
//
//===----------------------------------------------------------------------===//

#include "cuda/CudaExecutor.h"
#include "host/MpiWorld.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

#ifdef CROSSPIPE_WITH_MPI
#include <mpi.h>
#endif

using namespace crosspipe::rt;
using namespace crosspipe::rt::cuda;

namespace {
using Clock = std::chrono::steady_clock;
constexpr double kInitTimeoutS = 300;
} // namespace

bool CudaExecutor::waitComm(ncclComm_t comm, const std::string &what,
                            std::string &error) {
  auto deadline =
      Clock::now() + std::chrono::duration<double>(kInitTimeoutS);
  ncclResult_t state = ncclInProgress;
  while (comm) {
    if (ncclCommGetAsyncError(comm, &state) != ncclSuccess) {
      error = what + ": ncclCommGetAsyncError failed";
      return false;
    }
    if (state != ncclInProgress)
      break;
    if (Clock::now() > deadline) {
      error = what + ": not ready after " + std::to_string(int(kInitTimeoutS)) +
              " s (a peer did not join)";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (state != ncclSuccess) {
    error = what + ": " + ncclGetErrorString(state);
    return false;
  }
  return true;
}

bool CudaExecutor::bootNccl(std::string &error) {
#ifndef CROSSPIPE_WITH_MPI
  error = "the NCCL arrangement needs the runner built with MPI "
          "(CROSSPIPE_WITH_MPI) and launched with mpirun";
  return false;
#else
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  ncclResult_t r = ncclSuccess;
  if (rank == 0)
    r = ncclGetUniqueId(&id);
  int good = r == ncclSuccess;
  // The id (and whether rank 0 got one) over MPI: no file, so no stale id
  // of an earlier run can reach this one.
  MPI_Bcast(&good, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!good) {
    error = std::string("ncclGetUniqueId on rank 0: ") +
            ncclGetErrorString(r);
    return false;
  }
  MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  config.commName = "crosspipe-world";
  r = ncclCommInitRankConfig(&worldComm, size, id, rank, &config);
  if (r != ncclSuccess && r != ncclInProgress) {
    error = std::string("ncclCommInitRankConfig: ") + ncclGetErrorString(r);
    return false;
  }
  if (!waitComm(worldComm, "ncclCommInitRankConfig", error))
    return false;
  commNames.push_back({"world", worldComm});
  return true;
#endif
}

/// One communicator per channel, split from the world one. Splits are
/// collective over the world communicator: every rank calls them in the
/// plan's channel order, non-members with NCCL_SPLIT_NOCOLOR. A channel
/// whose endpoints and role are in `kept` (the running plan's channels, the
/// same on every rank) keeps its communicator and is not split again.
bool CudaExecutor::splitChannels(const PlanIndex &index, const CommsByEnds &kept,
                                 std::string &error) {
  const crosspipe_plan &p = index.plan();
  channelComms.assign(p.num_channels, nullptr);
  std::vector<int> fresh;
  for (int c = 0; c < p.num_channels; ++c) {
    const crosspipe_channel &ch = p.channels[c];
    auto old = kept.find({ch.src, ch.dst, ch.role});
    if (old != kept.end()) {
      channelComms[c] = old->second;
      continue;
    }
    ncclComm_t comm = nullptr;
    if (!splitChannel(ch, c, comm, error))
      return false;
    channelComms[c] = comm;
    if (comm) {
      commNames.push_back({"channel " + std::to_string(c), comm});
      fresh.push_back(c);
    }
  }
  bool collectives = false;
  for (int i = 0; i < p.programs[myDevice].count; ++i)
    collectives |= isCollective(index.info(myDevice, i).op);
  // Every rank decides alike: the plan is the same everywhere.
  if (replicas > 1 && collectives && !dpComm) {
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    config.splitShare = 1;
    config.commName = "crosspipe-dp";
    ncclResult_t r =
        ncclCommSplit(worldComm, myDevice, replica, &dpComm, &config);
    if ((r != ncclSuccess && r != ncclInProgress) ||
        !waitComm(dpComm, "splitting the DP communicator", error)) {
      if (error.empty())
        error = std::string("splitting the DP communicator: ") +
                ncclGetErrorString(r);
      return false;
    }
    commNames.push_back({"dp", dpComm});
  }
  return connectChannels(p, fresh, error);
}

bool CudaExecutor::splitChannel(const crosspipe_channel &ch, int c,
                                ncclComm_t &comm, std::string &error) {
  bool member = myDevice == ch.src || myDevice == ch.dst;
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  config.splitShare = 1;
  config.minCTAs = 1;
  config.maxCTAs = options.maxCtas;
  config.commName = "crosspipe-channel";
  ncclResult_t r =
      ncclCommSplit(worldComm, member ? replica : NCCL_SPLIT_NOCOLOR,
                    myDevice == ch.src ? 0 : 1, &comm, &config);
  std::string what = "splitting channel " + std::to_string(c) + " (" +
                     roleName(ch.role) + " " + std::to_string(ch.src) +
                     " -> " + std::to_string(ch.dst) + ")";
  if (r != ncclSuccess && r != ncclInProgress) {
    error = what + ": " + ncclGetErrorString(r);
    return false;
  }
  return waitComm(worldComm, what, error) &&
         (!comm || waitComm(comm, what, error));
}

/// NCCL connects peers lazily on their first operation; one group with a
/// byte over each new channel connects them all before any step.
bool CudaExecutor::connectChannels(const crosspipe_plan &p,
                                   const std::vector<int> &channels,
                                   std::string &error) {
  cudaStream_t control = nullptr;
  char *scratch = nullptr;
  if (!cudaOk(cudaStreamCreateWithFlags(&control, cudaStreamNonBlocking),
              "cudaStreamCreate (connect)", error))
    return false;
  bool ok = cudaOk(cudaMalloc(&scratch, 256), "cudaMalloc (connect)", error);
  if (ok) {
    ncclResult_t r = ncclGroupStart();
    for (size_t k = 0; k < channels.size() && r == ncclSuccess; ++k) {
      int c = channels[k];
      r = myDevice == p.channels[c].src
              ? ncclSend(scratch, 1, ncclUint8, 1, channelComms[c], control)
              : ncclRecv(scratch + 1, 1, ncclUint8, 0, channelComms[c],
                         control);
    }
    ncclResult_t end = ncclGroupEnd();
    if (r != ncclSuccess || (end != ncclSuccess && end != ncclInProgress)) {
      error = std::string("connecting the channels: ") +
              ncclGetErrorString(r != ncclSuccess ? r : end);
      ok = false;
    }
    for (auto &named : commNames)
      if (ok && !waitComm(named.second, "connecting " + named.first, error))
        ok = false;
    ok = ok && awaitStream(control, "connecting the channels", error);
  }
  if (scratch)
    cudaFree(scratch);
  cudaStreamDestroy(control);
  return ok;
}

bool CudaExecutor::awaitStream(cudaStream_t stream, const std::string &what,
                               std::string &error) {
  auto deadline = Clock::now() + std::chrono::duration<double>(kInitTimeoutS);
  for (;;) {
    cudaError_t q = cudaStreamQuery(stream);
    if (q == cudaSuccess)
      return true;
    if (q != cudaErrorNotReady || Clock::now() > deadline) {
      error = what + ": " +
              std::string(q == cudaErrorNotReady ? "timed out"
                                                 : cudaGetErrorString(q));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// Finalizes and destroys the communicators of `comms` (bounded; aborts
/// what does not finish) and forgets them.
void CudaExecutor::releaseComms(const std::vector<ncclComm_t> &comms) {
  for (ncclComm_t comm : comms) {
    if (!comm)
      continue;
    ncclResult_t r = ncclCommFinalize(comm);
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (r == ncclInProgress && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (ncclCommGetAsyncError(comm, &r) != ncclSuccess)
        break;
    }
    if (r == ncclSuccess)
      ncclCommDestroy(comm);
    else
      ncclCommAbort(comm);
    commNames.erase(std::remove_if(commNames.begin(), commNames.end(),
                                   [&](const auto &named) {
                                     return named.second == comm;
                                   }),
                    commNames.end());
  }
}

/// The new plan's channels keep the communicators of running channels with
/// the same endpoints and role; the others are split (every rank decides
/// alike: both plans are the same everywhere), and the communicators of
/// channels the new plan drops are released. The watchdog pauses meanwhile.
bool CudaExecutor::swapComms(const PlanIndex &next, int &kept,
                             std::string &error) {
  const crosspipe_plan &p = next.plan(), &cur = plan->plan();
  std::set<std::tuple<int, int, int>> wanted;
  for (int c = 0; c < p.num_channels; ++c)
    wanted.insert({p.channels[c].src, p.channels[c].dst, p.channels[c].role});
  CommsByEnds keep;
  std::vector<ncclComm_t> dropped;
  for (int c = 0; c < cur.num_channels; ++c) {
    const crosspipe_channel &ch = cur.channels[c];
    ncclComm_t comm = c < int(channelComms.size()) ? channelComms[c] : nullptr;
    if (wanted.count({ch.src, ch.dst, ch.role})) {
      keep[{ch.src, ch.dst, ch.role}] = comm;
      kept += comm != nullptr;
    } else {
      dropped.push_back(comm);
    }
  }
  stopWatchdog();
  if (commsAborted.load()) {
    error = "the communicators were aborted: " + watchdogError;
    return false;
  }
  releaseComms(dropped);
  bool ok = splitChannels(next, keep, error);
  startWatchdog();
  return ok;
}

void CudaExecutor::startWatchdog() {
  watchdogQuit.store(false);
  watchdog = std::thread([this] {
    while (!watchdogQuit.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::string failed;
      {
        std::lock_guard<std::mutex> lock(watchdogMutex);
        if (commsAborted.load())
          return;
        for (auto &named : commNames) {
          ncclResult_t state = ncclSuccess;
          if (!named.second)
            continue;
          if (ncclCommGetAsyncError(named.second, &state) != ncclSuccess)
            state = ncclSystemError;
          if (state != ncclSuccess && state != ncclInProgress) {
            failed = "NCCL communicator " + named.first + " failed: " +
                     ncclGetErrorString(state) +
                     " (a peer died or the network broke); every "
                     "communicator aborted";
            break;
          }
        }
      }
      if (!failed.empty()) {
        abortComms(failed);
        return;
      }
    }
  });
}

void CudaExecutor::stopWatchdog() {
  watchdogQuit.store(true);
  if (watchdog.joinable())
    watchdog.join();
}

void CudaExecutor::abortComms(const std::string &why) {
  std::lock_guard<std::mutex> lock(watchdogMutex);
  if (commsAborted.exchange(true))
    return;
  watchdogError = why;
  for (auto &named : commNames)
    if (named.second)
      ncclCommAbort(named.second);
  commNames.clear();
  channelComms.clear();
  worldComm = dpComm = nullptr;
}

void CudaExecutor::destroyComms() {
  std::lock_guard<std::mutex> lock(watchdogMutex);
  if (commsAborted.load())
    return;
  // Children before the world one.
  std::vector<ncclComm_t> comms;
  for (auto it = commNames.rbegin(); it != commNames.rend(); ++it)
    comms.push_back(it->second);
  releaseComms(comms);
  commNames.clear();
  channelComms.clear();
  worldComm = dpComm = nullptr;
}
