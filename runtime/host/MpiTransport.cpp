//===- MpiTransport.cpp - Channels between processes over MPI -------------===//
//
// One device per process; a channel's two workers sit in two processes.
// Channel c uses two MPI tags: 2 + 2c for "receive k posted" (receiver to
// sender) and 3 + 2c for the message (sender to receiver). MPI keeps
// messages of one (source, tag) in order, so the k-th of each pairs with
// the k-th action on either side, as NCCL pairs sends and receives of a
// communicator. The message carries the sender's slot tag and the link's
// latency; the receiver counts the latency from the moment the message
// arrives, so the processes need no common clock. Every wait polls a
// non-blocking request with a short, growing pause (MPI's blocking calls
// spin) and gives up when the run aborts.
//
// Link queues are kept per process: exact when every channel on a link
// starts on one device (unidirectional, interleaved and wave pipelines);
// otherwise each process's share of a link is serialized separately, and
// the run warns naming those links (linksWithSeveralSenders).
//
//===----------------------------------------------------------------------===//

#include "host/HostExecutor.h"

#ifdef CROSSPIPE_WITH_MPI

#include <mpi.h>

#include <cstdio>
#include <thread>

using namespace crosspipe::rt;
using namespace crosspipe::rt::host;

namespace {

class MpiTransport : public Transport {
public:
  MpiTransport(HostExecutor &executor, MpiWorld &world)
      : x(executor), world(world) {}

  void load(const PlanIndex &index, int &kept, int &total) override {
    plan = &index.plan();
    kept = total = plan->num_channels;
    if (x.linkDelays() && world.rank() == 0)
      for (const std::string &link : linksWithSeveralSenders(*plan))
        std::fprintf(stderr,
                     "crosspipe-host-run: warning: %s: each process queues "
                     "its own messages on it (the model queues them all "
                     "together)\n",
                     link.c_str());
  }

  bool awaitPosted(Worker &self, int channel, int seq, int step) override {
    int got[2] = {0, 0};
    MPI_Request request;
    MPI_Irecv(got, 2, MPI_INT, plan->channels[channel].dst, postTag(channel),
              MPI_COMM_WORLD, &request);
    if (!wait(request, /*isReceive=*/true))
      return false;
    if (got[0] != step || got[1] != seq) {
      x.abort("channel mismatch on channel " + std::to_string(channel) +
              ": device " + std::to_string(plan->channels[channel].dst) +
              " posted receive " + std::to_string(got[1]) + " of step " +
              std::to_string(got[0]) + " while send " + std::to_string(seq) +
              " of step " + std::to_string(step) + " waited for its own");
      return false;
    }
    return true;
  }

  bool deliver(Worker &self, int channel, int seq, int step, const Tag &header,
               double latencyMs) override {
    double message[7] = {double(step),
                         double(seq),
                         double(header.role),
                         double(header.chunk),
                         double(header.mb),
                         double(header.step),
                         latencyMs};
    MPI_Request request;
    MPI_Isend(message, 7, MPI_DOUBLE, plan->channels[channel].dst,
              messageTag(channel), MPI_COMM_WORLD, &request);
    return wait(request, /*isReceive=*/false);
  }

  bool post(Worker &self, int channel, int seq, int step,
            const SlotRef &) override {
    int posted[2] = {step, seq};
    MPI_Request request;
    MPI_Isend(posted, 2, MPI_INT, plan->channels[channel].src, postTag(channel),
              MPI_COMM_WORLD, &request);
    return wait(request, /*isReceive=*/false);
  }

  bool awaitMessage(Worker &self, int channel, int seq, int step, Tag &header,
                    Clock::time_point &arrival) override {
    double message[7] = {0, 0, 0, 0, 0, 0, 0};
    MPI_Request request;
    MPI_Irecv(message, 7, MPI_DOUBLE, plan->channels[channel].src,
              messageTag(channel), MPI_COMM_WORLD, &request);
    if (!wait(request, /*isReceive=*/true))
      return false;
    header.role = int32_t(message[2]);
    header.chunk = int32_t(message[3]);
    header.mb = int32_t(message[4]);
    header.step = int32_t(message[5]);
    arrival =
        Clock::now() +
        std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double, std::milli>(message[6] * x.scale()));
    if (int(message[0]) != step || int(message[1]) != seq) {
      // Reported as a channel mismatch by the receive, from the header.
      header.step = -1;
    }
    return true;
  }

  void wakeAll() override {}

private:
  static int postTag(int channel) { return 2 + 2 * channel; }
  static int messageTag(int channel) { return 3 + 2 * channel; }

  /// Polls `request` until it completes or the run aborts.
  bool wait(MPI_Request &request, bool isReceive) {
    auto pause = std::chrono::microseconds(10);
    for (;;) {
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done)
        return true;
      if (x.aborting()) {
        if (isReceive) {
          MPI_Cancel(&request);
          MPI_Wait(&request, MPI_STATUS_IGNORE);
        } else {
          MPI_Request_free(&request);
        }
        return false;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(200));
    }
  }

  HostExecutor &x;
  MpiWorld &world;
  const crosspipe_plan *plan = nullptr;
};

} // namespace

std::unique_ptr<Transport>
crosspipe::rt::host::makeMpiTransport(HostExecutor &executor, MpiWorld &world) {
  return std::make_unique<MpiTransport>(executor, world);
}

#endif // CROSSPIPE_WITH_MPI
