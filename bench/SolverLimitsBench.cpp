//===- SolverLimitsBench.cpp - Wall time and peak memory vs the limit -----===//
//
// Prints a Markdown table of how the optimal scheduler honours its limits:
// for pipelines of P devices x M microbatches (the targets setting of
// SolverBench.cpp: two datacenters, one boundary of latency 4 T_F, split
// backward, 1F1B memory) and a few time limits, the wall time of
// solveOptimal, its peak resident memory, and what it reports (optimal,
// gap, note). Each run is forked so that its peak RSS is its own (from
// wait4's rusage).
//
//   crosspipe-bench-solver-limits            # the full table
//   crosspipe-bench-solver-limits --quick    # sizes up to 16 x 64
//   crosspipe-bench-solver-limits P M LIMIT  # one row
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Solver/OptimalSolver.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace crosspipe::sched;

namespace {

constexpr uint64_t kMessage = 125000000; // 1 ms at 1000 Gbit/s.

/// Devices in two datacenters, chunk c on device c, F = D = W = 1 ms, one
/// cross-DC boundary of latency 4 ms, 1F1B memory budgets.
Problem makeProblem(int devices, int microbatches) {
  Problem p;
  p.name = "limits";
  p.numMicrobatches = microbatches;
  p.splitBackward = true;
  p.datacenters.resize(2);
  p.datacenters[0].name = "east";
  p.datacenters[0].numDevices = devices / 2;
  p.datacenters[1].name = "west";
  p.datacenters[1].numDevices = devices - devices / 2;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      DcLink link;
      link.fromDc = a;
      link.toDc = b;
      if (a != b)
        link.cost.latencyMs = 4;
      p.links.push_back(link);
    }
  for (int c = 0; c < devices; ++c) {
    Chunk ch;
    ch.device = c;
    ch.forwardMs = 1;
    ch.backwardMs = 2;
    ch.dgradMs = 1;
    ch.wgradMs = 1;
    ch.activationBytes = kMiB;
    ch.messageBytes = kMessage;
    p.chunks.push_back(ch);
  }
  p.memoryLimitBytes = p.limitsRelativeTo1F1B(1.0);
  return p;
}

/// One run, in this process: a Markdown row without the RSS column.
std::string runOne(int devices, int microbatches, double limit) {
  Problem p = makeProblem(devices, microbatches);
  SolverOptions options;
  options.timeLimitSeconds = limit;
  auto begin = std::chrono::steady_clock::now();
  SolverResult r = solveOptimal(p, options);
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
  char buf[512];
  char over[32] = "n/a";
  if (limit >= 0.01)
    std::snprintf(over, sizeof over, "%+.0f%%", 100 * (wall - limit) / limit);
  std::snprintf(
      buf, sizeof buf, "| %d x %d | %g | %.2f | %s | %s | %s | %.2f%% | %s |",
      devices, microbatches, limit, wall, over, r.ok ? "yes" : "no",
      r.optimal ? "yes" : "no", 100 * r.gap,
      r.ok ? (r.note.empty() ? "-" : r.note.c_str()) : r.error.c_str());
  return buf;
}

/// Runs one row in a child process and appends the child's peak RSS.
void runForked(int devices, int microbatches, double limit) {
  int fds[2];
  if (pipe(fds) != 0)
    return;
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string row = runOne(devices, microbatches, limit);
    ssize_t unused = write(fds[1], row.data(), row.size());
    (void)unused;
    _exit(0);
  }
  close(fds[1]);
  std::string row;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    row.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  struct rusage usage;
  wait4(pid, &status, 0, &usage);
  if (row.empty())
    row = "| " + std::to_string(devices) + " x " +
          std::to_string(microbatches) + " | " + std::to_string(limit) +
          " | crashed (status " + std::to_string(status) + ") | | | | | |";
  // ru_maxrss is in KiB on Linux.
  std::printf("%s %.0f |\n", row.c_str(), double(usage.ru_maxrss) / 1024);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
  std::printf("| P x M | limit (s) | wall (s) | over limit | ok | optimal | "
              "gap | note | peak RSS (MiB) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  if (argc == 4) {
    runForked(std::atoi(argv[1]), std::atoi(argv[2]), std::atof(argv[3]));
    return 0;
  }
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int sizes[][2] = {{8, 32}, {16, 64}, {32, 128}, {64, 256}};
  for (const auto &size : sizes) {
    if (quick && size[0] > 16)
      break;
    for (double limit : {1e-9, 1.0, 5.0})
      runForked(size[0], size[1], limit);
  }
  return 0;
}
