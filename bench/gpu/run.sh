#!/usr/bin/env bash
# The measured side of the compiler: builds the emulate backend of the
# bundled examples (one GPU plays every device, transfers are copies with
# the model's latency and bandwidth injected, stages are synthetic spins)
# and runs it with times scaled so a simulated step takes STEP_MS (1 s).
# Every run checks every tag (a misrouted or misordered transfer fails it),
# and the report compares the measured step with the simulated one and
# gives the host's issue cost per block.
#
#   bench/gpu/run.sh                 # generate (needs the compiler), build, run
#   bench/gpu/run.sh generate        # only the C++ (on a machine with MLIR)
#   bench/gpu/run.sh build run       # on a GPU machine without MLIR
#
# Environment: BUILD (compiler build dir, default build), ALGORITHM
# (greedy), STEP_MS (1000), STEPS (5), WARMUP (1), ARCH (nvcc -arch,
# default native), CUDA (/usr/local/cuda), OUT (bench/results/gpu).
# Writes OUT/<example>.cpp, OUT/<example>-{measured,predicted}.json
# (Chrome traces), OUT/<example>-summary.json and OUT/summary.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
ALGORITHM=${ALGORITHM:-greedy}
STEP_MS=${STEP_MS:-1000}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-1}
ARCH=${ARCH:-native}
CUDA=${CUDA:-/usr/local/cuda}
OUT=${OUT:-bench/results/gpu}
EXAMPLES=${EXAMPLES:-"toy m70-2dc"}
phases=${*:-generate build run}
mkdir -p "$OUT"

for phase in $phases; do
  case $phase in
  generate)
    for ex in $EXAMPLES; do
      "$BUILD/bin/crosspipe-translate" --import-json "examples/$ex.json" |
        "$BUILD/bin/crosspipe-opt" \
          --crosspipe-compile="algorithm=$ALGORITHM backend=emulate" |
        "$BUILD/bin/crosspipe-translate" --mlir-to-cpp -o "$OUT/$ex.cpp"
      echo "generated $OUT/$ex.cpp ($(wc -l < "$OUT/$ex.cpp") lines)"
    done
    ;;
  build)
    for ex in $EXAMPLES; do
      "$CUDA/bin/nvcc" -std=c++17 -O2 -arch="$ARCH" -I include \
        "$OUT/$ex.cpp" runtime/Runtime.cpp runtime/Describe.cpp \
        runtime/Resources.cpp runtime/StepCalls.cpp runtime/Step.cpp \
        runtime/Bootstrap.cpp runtime/Trace.cpp runtime/Driver.cpp \
        runtime/Main.cpp runtime/SyntheticStages.cpp runtime/Kernels.cu \
        -L "$CUDA/lib64" -lnccl -o "$OUT/$ex"
      echo "built $OUT/$ex"
    done
    ;;
  run)
    if [ ! -e /dev/nvidia0 ]; then
      echo "no GPU here (/dev/nvidia0 missing): nothing to run" >&2
      exit 1
    fi
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader \
      > "$OUT/gpu.txt" || true
    for ex in $EXAMPLES; do
      # Stashes and parameter gradients shrink to their tags: the synthetic
      # stages never touch them, and M70's full stashes (3.6 GiB a slot,
      # 36 slots) would not fit one GPU.
      "$OUT/$ex" --step-ms "$STEP_MS" --warmup "$WARMUP" --steps "$STEPS" \
        --tag-buffers --trace "$OUT/$ex-measured.json" \
        --trace-predicted "$OUT/$ex-predicted.json" \
        --summary "$OUT/$ex-summary.json" | tee "$OUT/$ex.log"
    done
    python3 bench/gpu/report.py "$OUT" $EXAMPLES | tee "$OUT/summary.md"
    ;;
  *)
    echo "unknown phase '$phase' (generate, build, run)" >&2
    exit 2
    ;;
  esac
done
