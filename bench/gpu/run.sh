#!/usr/bin/env bash
# The measured side of the compiler, for a GPU session: builds the CUDA
# runner (runtime/, standalone CMake, Release, the GPU's architecture) with
# the toy and M70 plans compiled in (emulate arrangement: one GPU plays
# every device, messages are copies on per-link lanes with the model's
# bandwidth and latency, stages are synthetic spins), runs a warm-up and a
# few measured steps at the real time scale and at a scaled one, and writes
# measured and predicted traces, the core's summary, the CUDA report
# (streams vs hardware queues, host issue time per step) and the negative
# case (a dropped transfer must fail naming device, block and microbatch)
# to OUT; report.py turns them into OUT/summary.md (measured/simulated step,
# per-block drift, streams vs queues, host issue time).
#
#   bench/gpu/run.sh                 # plans (needs the compiler), build, run
#   bench/gpu/run.sh plans           # only the plan files and C++
#   bench/gpu/run.sh build           # compile and link only (no GPU needed)
#   bench/gpu/run.sh build run       # on the GPU machine
#
# Environment: BUILD (compiler build dir, default build), ALGORITHM
# (greedy), STEP_MS (the scaled run's step, 1000), STEPS (3), WARMUP (1),
# CUDA (/usr/local/cuda), OUT (bench/results/gpu), RTBUILD (the runtime's
# build dir, OUT/build), JOBS (2), EXAMPLES ("toy m70-2dc").
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
ALGORITHM=${ALGORITHM:-greedy}
STEP_MS=${STEP_MS:-1000}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-1}
CUDA=${CUDA:-/usr/local/cuda}
OUT=${OUT:-bench/results/gpu}
RTBUILD=${RTBUILD:-$OUT/build}
JOBS=${JOBS:-2}
EXAMPLES=${EXAMPLES:-"toy m70-2dc"}
STAGES=${*:-plans build run}
mkdir -p "$OUT"

plans() {
  for ex in $EXAMPLES; do
    "$BUILD/bin/crosspipe-translate" --import-json "examples/$ex.json" \
      | "$BUILD/bin/crosspipe-opt" --crosspipe-schedule="algorithm=$ALGORITHM" \
      | "$BUILD/bin/crosspipe-translate" --export-plan --plan-backend=emulate \
          -o "$OUT/$ex.plan"
    "$BUILD/bin/crosspipe-translate" --import-json "examples/$ex.json" \
      | "$BUILD/bin/crosspipe-opt" \
          --crosspipe-compile="algorithm=$ALGORITHM backend=emulate form=table" \
      | "$BUILD/bin/crosspipe-translate" --mlir-to-cpp -o "$OUT/${ex//-/_}.cpp"
  done
  # The negative case: toy with one activation dropped on both sides.
  python3 test/Runtime/Inputs/plan-edit.py "$OUT/toy.plan" "$OUT/toy-dropped.plan" \
    --drop 1 "SEND_ACT 1 2" --drop 2 "RECV_ACT 1 2"
}

build() {
  local cpps=""
  for ex in $EXAMPLES; do cpps="$cpps;$PWD/$OUT/${ex//-/_}.cpp"; done
  cmake -S runtime -B "$RTBUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_COMPILER="$CUDA/bin/nvcc" "-DCROSSPIPE_PLAN=${cpps#;}"
  cmake --build "$RTBUILD" -j "$JOBS"
}

run_one() { # example label extra-options...
  local ex=$1 label=$2
  shift 2
  local runner="$RTBUILD/crosspipe-run-${ex//-/_}"
  "$runner" --warmup "$WARMUP" --steps "$STEPS" --tag-buffers \
    --trace "$OUT/$ex-$label-measured.json" \
    --trace-predicted "$OUT/$ex-$label-predicted.json" \
    --summary "$OUT/$ex-$label-summary.json" \
    --profile "$OUT/$ex-$label-profile.csv" \
    --cuda-report "$OUT/$ex-$label-cuda.json" "$@" \
    | tee "$OUT/$ex-$label.log"
}

run() {
  nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv \
    > "$OUT/gpu.txt" || true
  for ex in $EXAMPLES; do
    "$RTBUILD/crosspipe-run-${ex//-/_}" --dry-run | tee "$OUT/$ex-streams.txt"
    run_one "$ex" real --time-scale 1
    run_one "$ex" scaled --step-ms "$STEP_MS"
  done
  # Must fail, naming device 2, F chunk 2 mb 2.
  if "$RTBUILD/crosspipe-run" --plan "$OUT/toy-dropped.plan" --check structure \
       --step-ms "$STEP_MS" --steps 1 --warmup 0 --tag-buffers \
       > "$OUT/negative.log" 2>&1; then
    echo "negative case: the dropped transfer was NOT detected" | tee -a "$OUT/negative.log"
    exit 1
  fi
  cat "$OUT/negative.log"
  python3 bench/gpu/report.py "$OUT" $EXAMPLES > "$OUT/summary.md"
  cat "$OUT/summary.md"
}

for stage in $STAGES; do
  case $stage in
    plans|build|run) $stage ;;
    *) echo "usage: $0 [plans] [build] [run]" >&2; exit 2 ;;
  esac
done
