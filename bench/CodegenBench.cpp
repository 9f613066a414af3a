//===- CodegenBench.cpp - Size and speed of generated plans ---------------===//
//
// Prints a Markdown table: for unidirectional split-backward pipelines on
// two datacenters (the paper's M70 costs at delay ratios (2, 2), memory as
// 1F1B) from 8 devices x 16 microbatches up to 64 x 512, the wall time and
// peak memory of `crosspipe-opt --crosspipe-compile` (greedy, table form)
// and `crosspipe-translate --mlir-to-cpp`, the size of the C++ they write,
// and how long `c++ -O1 -c` takes to compile it. Runs the tools as child
// processes, as a user would, and reads each one's peak RSS from wait4().
//
//   crosspipe-bench-codegen [--bin DIR] [--include DIR] [--cxx CXX]
//       [--sizes 8x16,16x64] [--form table|unrolled|auto] [--work DIR]
//
//===----------------------------------------------------------------------===//

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string bin, include, cxx = "c++", work = "/tmp/crosspipe-bench-codegen",
                            form = "table";
  std::vector<std::pair<int, int>> sizes = {
      {8, 16}, {16, 64}, {32, 128}, {64, 512}};
};

/// Wall seconds and peak RSS of one child process.
struct Usage {
  double seconds = 0;
  long peakKiB = 0;
  bool ok = false;
};

/// Runs `argv` with stdout to /dev/null (the tools write with -o), stderr
/// kept, and returns its time and peak memory.
Usage run(const std::vector<std::string> &argv) {
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr); // Or the child flushes our buffered table too.
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout))
      _exit(127);
    execvp(args[0], args.data());
    std::perror(args[0]);
    _exit(127);
  }
  Usage usage;
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
    return usage;
  std::chrono::duration<double> dt = std::chrono::steady_clock::now() - start;
  usage.seconds = dt.count();
  usage.peakKiB = ru.ru_maxrss;
  usage.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return usage;
}

/// P devices, P/2 per datacenter, M microbatches: M70's F = D = W = 38 ms
/// and 64 MiB messages; across datacenters 76 ms latency and 7.06 Gbit/s
/// (one message in 76 ms), inside them free links; memory as 1F1B.
std::string problemJson(int p, int m) {
  std::ostringstream os;
  os << "{\"name\": \"codegen_" << p << "x" << m
     << "\", \"microbatches\": " << m
     << ",\n \"datacenters\": [{\"name\": \"east\", \"devices\": " << p / 2
     << "}, {\"name\": \"west\", \"devices\": " << p - p / 2
     << "}],\n \"network\": {\"intra_dc\": {\"latency_ms\": 0, "
        "\"bandwidth_gbps\": 1000000}, \"links\": [{\"between\": [\"east\", "
        "\"west\"], \"latency_ms\": 76, \"bandwidth_gbps\": 7.0641}]},\n "
        "\"placement\": \"unidirectional\", \"split_backward\": true,\n "
        "\"memory\": {\"relative_to_1f1b\": 1.0},\n \"stages\": [\n";
  for (int c = 0; c < p; ++c)
    os << "  {\"forward_ms\": 38, \"dgrad_ms\": 38, \"wgrad_ms\": 38, "
          "\"activation_mib\": 4096, "
       << (c + 1 < p ? "\"message_mib\": 64, " : "")
       << "\"gradient_mib\": 2000}" << (c + 1 < p ? ",\n" : "\n");
  os << " ]}\n";
  return os.str();
}

long fileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? long(in.tellg()) : -1;
}

/// Program entries of a generated file: the sum of its "// Device d: N
/// actions" comments.
long entries(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  long total = 0;
  while (std::getline(in, line)) {
    int device = 0;
    long n = 0;
    if (std::sscanf(line.c_str(), "// Device %d: %ld actions", &device, &n) ==
        2)
      total += n;
  }
  return total;
}

bool parse(int argc, char **argv, Options &o) {
  std::string self = argv[0];
  std::string dir = self.substr(0, self.rfind('/') + 1);
  o.bin = dir + "../bin";
  o.include = CROSSPIPE_SOURCE_DIR "/include";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--bin")
      o.bin = value;
    else if (flag == "--include")
      o.include = value;
    else if (flag == "--cxx")
      o.cxx = value;
    else if (flag == "--work")
      o.work = value;
    else if (flag == "--form")
      o.form = value;
    else if (flag == "--sizes") {
      o.sizes.clear();
      std::istringstream list(value);
      std::string item;
      int p = 0, m = 0;
      while (std::getline(list, item, ','))
        if (std::sscanf(item.c_str(), "%dx%d", &p, &m) == 2 && p >= 2)
          o.sizes.push_back({p, m});
    } else
      return false;
  }
  return argc % 2 == 1 && !o.sizes.empty();
}

/// One row of the table; false (after a message) if a tool failed.
bool measure(const Options &o, int p, int m) {
  std::string base = o.work + "/" + std::to_string(p) + "x" + std::to_string(m);
  std::ofstream(base + ".json") << problemJson(p, m);
  if (!run({o.bin + "/crosspipe-translate", "--import-json", base + ".json",
            "-o", base + ".mlir"})
           .ok)
    return std::fprintf(stderr, "import of %s failed\n", base.c_str()), false;
  Usage compile = run({o.bin + "/crosspipe-opt", base + ".mlir",
                       "--crosspipe-compile=algorithm=greedy form=" + o.form,
                       "-o", base + "-emitc.mlir"});
  Usage emit = run({o.bin + "/crosspipe-translate", "--mlir-to-cpp",
                    base + "-emitc.mlir", "-o", base + ".cpp"});
  Usage cxx = run({o.cxx, "-std=c++17", "-O1", "-c", "-I", o.include,
                   base + ".cpp", "-o", base + ".o"});
  if (!compile.ok || !emit.ok || !cxx.ok)
    return std::fprintf(stderr, "a step failed for %dx%d\n", p, m), false;
  long bytes = fileBytes(base + ".cpp");
  std::printf("| %d x %d | %d | %ld | %.2f | %.2f | **%.2f** | %.0f | %.2f | "
              "%.1f | %.0f |\n",
              p, m, p * m * 3, entries(base + ".cpp"), compile.seconds,
              emit.seconds, compile.seconds + emit.seconds,
              std::max(compile.peakKiB, emit.peakKiB) / 1024.0, bytes / 1e6,
              cxx.seconds, cxx.peakKiB / 1024.0);
  std::fflush(stdout);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: %s [--bin DIR] [--include DIR] [--cxx CXX] "
                 "[--sizes PxM,...] [--form table|unrolled|auto] "
                 "[--work DIR]\n",
                 argv[0]);
    return 2;
  }
  if (!run({"mkdir", "-p", o.work}).ok)
    return std::fprintf(stderr, "cannot create %s\n", o.work.c_str()), 1;
  std::printf("## Generated plans: two datacenters, unidirectional, split "
              "backward, greedy, form=%s\n\n",
              o.form.c_str());
  std::printf("| devices x microbatches | blocks | program entries | "
              "--crosspipe-compile (s) | --mlir-to-cpp (s) | compile + emit "
              "(s) | peak RSS (MiB) | C++ (MB) | %s -O1 -c (s) | its peak RSS "
              "(MiB) |\n",
              o.cxx.c_str());
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (auto [p, m] : o.sizes)
    if (!measure(o, p, m))
      return 1;
  return 0;
}
