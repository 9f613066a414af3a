#!/usr/bin/env bash
# Regenerates this folder's PyTorch schedule CSVs and prints how each fares
# under CrossPipe's network model (the table of README.md):
#   examples/torch/regenerate.sh [BUILD]      (default BUILD: build)
# Each CSV is our schedule written with --export-torch-schedule; the table
# reads each CSV back with --import-torch-schedule and simulates it, so it
# times exactly what PyTorch would load.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../build}/bin"
cd "$here"
echo "| schedule | placement | CSV | makespan (ms) | / lower bound |"
echo "|---|---|---|---:|---:|"
row() { # NAME PLACEMENT ALGORITHM
  local name=$1 placement=$2 algorithm=$3
  local problem="4rank-$placement.json" csv="$name.csv"
  "$bin/crosspipe-translate" --import-json "$problem" \
    | "$bin/crosspipe-opt" --crosspipe-schedule="algorithm=$algorithm" \
    | "$bin/crosspipe-translate" --export-torch-schedule -o "$csv"
  local line
  line=$("$bin/crosspipe-translate" --import-torch-schedule "$csv" \
           --torch-problem="$problem" \
         | "$bin/crosspipe-opt" --crosspipe-verify-schedule --crosspipe-simulate \
         | grep -o 'lower_bound = #crosspipe.time<[^>]*>, makespan = #crosspipe.time<[^>]*>')
  local bound makespan
  bound=$(sed 's/.*lower_bound = #crosspipe.time<\([0-9.e+]*\) ms>.*/\1/' <<<"$line")
  makespan=$(sed 's/.*makespan = #crosspipe.time<\([0-9.e+]*\) ms>.*/\1/' <<<"$line")
  awk -v n="$name" -v p="$placement" -v c="$csv" -v m="$makespan" -v b="$bound" \
    'BEGIN { printf "| %s | %s | `%s` | %.1f | %.3f |\n", n, p, c, m, m / b }'
}
row 1f1b unidirectional 1f1b
row greedy-unidirectional unidirectional greedy
row interleaved interleaved interleaved
row greedy-interleaved interleaved greedy
row zb-v wave zb-v
row dualpipe-v wave dualpipe-v
row greedy-wave wave greedy
