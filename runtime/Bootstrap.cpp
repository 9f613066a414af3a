//===- Bootstrap.cpp - One process per GPU under mpirun or srun -----------===//
//
// The NCCL backend runs one process per pipeline device (times the DP
// degree). Rank and size come from the launcher's environment (Open MPI,
// Slurm, PMI, or CROSSPIPE_RANK/CROSSPIPE_WORLD_SIZE), so no MPI library is
// needed; rank 0's NCCL unique id reaches the others through a file on a
// shared file system, or through MPI_Bcast when built with
// -DCROSSPIPE_WITH_MPI. Each channel (one direction of one kind between two
// devices) gets its own two-rank communicator split from the world one, so
// each communicator is driven by exactly one stream on each side and its
// operations are totally ordered; all of them are connected in one NCCL
// group before the first step, and destroyed by closeNccl at the end.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInternal.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>

#ifdef CROSSPIPE_WITH_MPI
#include <mpi.h>
#endif

using namespace crosspipe::rt;

static const char *firstEnv(std::initializer_list<const char *> names) {
  for (const char *name : names)
    if (const char *value = std::getenv(name))
      return value;
  return nullptr;
}

void crosspipe::rt::processRank(int &rank, int &size, int &localRank) {
  const char *r = firstEnv(
      {"CROSSPIPE_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID"});
  const char *s = firstEnv({"CROSSPIPE_WORLD_SIZE", "OMPI_COMM_WORLD_SIZE",
                            "PMI_SIZE", "SLURM_NTASKS"});
  const char *l =
      firstEnv({"CROSSPIPE_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK",
                "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK"});
  rank = r ? std::atoi(r) : 0;
  size = s ? std::atoi(s) : 1;
  localRank = l ? std::atoi(l) : rank;
}

static ncclUniqueId exchangeId(crosspipe_runtime *rt) {
  ncclUniqueId id;
  if (rt->rank == 0 && ncclGetUniqueId(&id) != ncclSuccess)
    fail(rt, "ncclGetUniqueId failed");
#ifdef CROSSPIPE_WITH_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    MPI_Init(nullptr, nullptr);
  MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
  return id;
#else
  if (rt->worldSize == 1)
    return id;
  // A file per job: a stale id from an earlier run would hang the others.
  std::string path;
  if (const char *explicitPath = std::getenv("CROSSPIPE_NCCL_ID_FILE")) {
    path = explicitPath;
  } else if (const char *job =
                 firstEnv({"SLURM_JOB_ID", "OMPI_MCA_ess_base_jobid",
                           "PMIX_NAMESPACE"})) {
    path = std::string("crosspipe-nccl-") + job + ".id";
  } else {
    fail(rt, "set CROSSPIPE_NCCL_ID_FILE to a fresh path on a file system "
             "all ranks share (or build with -DCROSSPIPE_WITH_MPI)");
  }
  if (rt->rank == 0) {
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    FILE *f = std::fopen(tmp.c_str(), "wb");
    if (!f || std::fwrite(&id, sizeof(id), 1, f) != 1 || std::fclose(f) != 0)
      fail(rt, "cannot write the NCCL id to " + tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      fail(rt, "cannot publish the NCCL id at " + path);
    rt->idFile = path;
    return id;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (FILE *f = std::fopen(path.c_str(), "rb")) {
      size_t got = std::fread(&id, sizeof(id), 1, f);
      std::fclose(f);
      if (got == 1)
        return id;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fail(rt, "no NCCL id appeared at " + path + " within 5 minutes");
#endif
}

void crosspipe::rt::bootNccl(crosspipe_runtime *rt) {
  ncclUniqueId id = exchangeId(rt);
  ncclResult_t status =
      ncclCommInitRank(&rt->world, rt->worldSize, id, rt->rank);
  if (status != ncclSuccess)
    fail(rt, std::string("ncclCommInitRank: ") + ncclGetErrorString(status));
#ifndef CROSSPIPE_WITH_MPI
  // Every rank has joined, so nobody needs the file any more.
  if (!rt->idFile.empty())
    std::remove(rt->idFile.c_str());
#endif
  // Splits are collective over the world communicator: every rank calls
  // them in the plan's channel order, non-members with NCCL_SPLIT_NOCOLOR.
  const crosspipe_plan_desc &desc = rt->desc;
  for (const crosspipe_plan_desc::Channel &c : desc.channels) {
    bool member = rt->device == c.src || rt->device == c.dst;
    ncclComm_t comm = nullptr;
    status = ncclCommSplit(rt->world, member ? rt->replica : NCCL_SPLIT_NOCOLOR,
                           rt->device == c.src ? 0 : 1, &comm, nullptr);
    if (status != ncclSuccess)
      fail(rt, "splitting the channel from device " + std::to_string(c.src) +
                   " to " + std::to_string(c.dst) + ": " +
                   ncclGetErrorString(status));
    rt->channelComms.push_back(comm);
  }
  if (desc.dpDegree > 1) {
    status =
        ncclCommSplit(rt->world, rt->device, rt->replica, &rt->dp, nullptr);
    if (status != ncclSuccess)
      fail(rt, std::string("splitting the data-parallel communicator: ") +
                   ncclGetErrorString(status));
  }
  connectChannels(rt);
}

void crosspipe::rt::connectChannels(crosspipe_runtime *rt) {
  // NCCL connects peers lazily, on their first send or receive, and the
  // host may block in that set-up until the peer joins it. A step enqueues
  // each device's operations in its own order, so first contacts could
  // wait on each other across ranks; one group with a byte over every
  // channel (and a DP all-reduce) makes all connections before any step.
  char *scratch = nullptr;
  if (cudaMalloc(&scratch, 256) != cudaSuccess)
    fail(rt, "allocating the connection scratch");
  ncclResult_t status = ncclGroupStart();
  for (size_t c = 0; c < rt->channelComms.size() && status == ncclSuccess;
       ++c) {
    ncclComm_t comm = rt->channelComms[c];
    if (!comm)
      continue;
    bool sender = rt->device == rt->desc.channels[c].src;
    status = sender ? ncclSend(scratch, 1, ncclUint8, 1, comm, rt->control)
                    : ncclRecv(scratch + 1, 1, ncclUint8, 0, comm, rt->control);
  }
  if (status == ncclSuccess && rt->dp)
    status = ncclAllReduce(scratch + 2, scratch + 2, 1, ncclUint8, ncclSum,
                           rt->dp, rt->control);
  ncclResult_t end = ncclGroupEnd();
  if (status != ncclSuccess || end != ncclSuccess)
    fail(rt, std::string("connecting the channels: ") +
                 ncclGetErrorString(status != ncclSuccess ? status : end));
  if (cudaStreamSynchronize(rt->control) != cudaSuccess)
    fail(rt, "connecting the channels");
  cudaFree(scratch);
}

void crosspipe::rt::closeNccl(crosspipe_runtime *rt) {
  for (ncclComm_t comm : rt->channelComms)
    if (comm)
      ncclCommDestroy(comm);
  if (rt->dp)
    ncclCommDestroy(rt->dp);
  if (rt->world)
    ncclCommDestroy(rt->world);
}
