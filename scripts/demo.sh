#!/usr/bin/env bash
# `make demo`: the whole compiler on one example. Imports the JSON
# description, schedules it with every algorithm that applies, verifies and
# simulates the schedules, prints a comparison table and writes the Chrome
# trace of the fastest schedule and SVG pictures of the timelines.
set -euo pipefail

build=${1:-build}
example=${2:-examples/m70-2dc.json}
out=$build/demo
opt=$build/bin/crosspipe-opt
translate=$build/bin/crosspipe-translate
mkdir -p "$out"

echo "== Importing $example"
"$translate" --import-json "$example" -o "$out/problem.mlir"
cat "$out/problem.mlir"

echo "== Scheduling"
cp "$out/problem.mlir" "$out/schedules.mlir"
for algorithm in gpipe 1f1b interleaved zb-h1 zb-v greedy; do
  if "$opt" --crosspipe-schedule="algorithm=$algorithm" "$out/schedules.mlir" \
       -o "$out/next.mlir" 2> "$out/$algorithm.err"; then
    mv "$out/next.mlir" "$out/schedules.mlir"
    echo "  $algorithm: scheduled"
  else
    reason=$(grep -m1 'error:' "$out/$algorithm.err" | sed -e 's/.*error: //' -e 's/.*cannot be scheduled by [^:]*: //')
    echo "  $algorithm: does not apply ($reason)"
  fi
done

"$opt" --crosspipe-verify-schedule --crosspipe-simulate "$out/schedules.mlir" \
  -o "$out/simulated.mlir"
echo
echo "== Simulated schedules of $(basename "$example")"
"$translate" --schedule-report "$out/simulated.mlir"
"$translate" --export-chrome-trace "$out/simulated.mlir" -o "$out/trace.json"
"$translate" --export-svg "$out/simulated.mlir" -o "$out/trace.svg"
"$translate" --export-svg --svg-all "$out/simulated.mlir" -o "$out/schedules.svg"
echo
echo "Wrote $out/simulated.mlir (all schedules with their timelines),"
echo "$out/trace.json (the fastest schedule; open it in https://ui.perfetto.dev),"
echo "$out/trace.svg (its timeline as a picture; any browser shows it) and"
echo "$out/schedules.svg (every schedule's timeline, fastest first, one time scale)."

echo
echo "== The execution plan of the greedy schedule: generated C++ and a plan file"
for backend in nccl emulate; do
  "$opt" "$out/problem.mlir" \
    --crosspipe-compile="algorithm=greedy backend=$backend" \
    -o "$out/plan-$backend.mlir"
  "$translate" --mlir-to-cpp "$out/plan-$backend.mlir" -o "$out/plan-$backend.cpp"
  echo "  $backend: $out/plan-$backend.cpp ($(wc -l < "$out/plan-$backend.cpp") lines)"
done
"$opt" "$out/problem.mlir" --crosspipe-schedule=algorithm=greedy \
  | "$translate" --export-plan -o "$out/plan.txt"
echo "  plan file: $out/plan.txt"
echo
# Small plans are unrolled (a commented call per action), large ones tables.
grep -m1 -A12 '^static void crosspipe_step_device_1' "$out/plan-nccl.cpp" ||
  grep -m1 -A12 'crosspipe_program_1\[' "$out/plan-nccl.cpp" || true
echo "  ..."
echo
echo "The generated files include only crosspipe/Runtime/Plan.h: the runtime"
echo "executes the plan's actions (runtime/)."
if [ -x "$build/bin/crosspipe-host-run" ]; then
  echo "Run the plan on host threads (no GPU):"
  echo "  $build/bin/crosspipe-host-run --plan $out/plan.txt --steps 3"
fi
