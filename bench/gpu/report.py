#!/usr/bin/env python3
"""Summarizes bench/gpu/run.sh's outputs as Markdown.

  report.py OUT EXAMPLE...

Per example and run (real time scale, scaled): the measured step against
the simulated one (the core's summary), the per-block drift (measured
minus modelled duration of each compute block in the profile: mean, p50,
p95, max, relative to the model), the streams against the hardware queues
and the host's issue time per step (the runner's --cuda-report), and the
negative case's message.
"""

import csv
import json
import os
import statistics
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def drift(path):
    """Per-block relative drift from the profile CSV (compute blocks)."""
    rows = []
    try:
        with open(path) as f:
            reader = csv.DictReader(row for row in f if not row.startswith("#"))
            for r in reader:
                if r.get("op") not in ("F", "B", "D", "W"):
                    continue
                try:
                    model = float(r["model_ms"])
                    measured = float(r["end_ms"]) - float(r["start_ms"])
                except (KeyError, ValueError):
                    continue
                if model > 0:
                    rows.append((measured - model) / model)
    except OSError:
        return None
    if not rows:
        return None
    rows.sort()
    pick = lambda q: rows[min(len(rows) - 1, int(q * len(rows)))]
    return (statistics.mean(rows), pick(0.5), pick(0.95), rows[-1], len(rows))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out, examples = argv[1], argv[2:]
    print("# CUDA runner on the GPU (emulate arrangement)\n")
    gpu = os.path.join(out, "gpu.txt")
    if os.path.exists(gpu):
        print("GPU: " + open(gpu).read().strip().replace("\n", " / ") + "\n")
    print("| example | run | measured step ms | simulated ms | measured/simulated"
          " | block drift mean / p50 / p95 / max | streams / queues | host issue ms/step |")
    print("|---|---|---|---|---|---|---|---|")
    for ex in examples:
        for label in ("real", "scaled"):
            s = load(os.path.join(out, f"{ex}-{label}-summary.json")) or {}
            c = load(os.path.join(out, f"{ex}-{label}-cuda.json")) or {}
            d = drift(os.path.join(out, f"{ex}-{label}-profile.csv"))
            fmt = lambda v: f"{v:.3f}" if isinstance(v, (int, float)) else "?"
            measured = s.get("measured_makespan_ms")
            simulated = s.get("predicted_makespan_ms")
            ratio = s.get("measured_over_predicted")
            drift_text = ("%+.1f%% / %+.1f%% / %+.1f%% / %+.1f%% (%d blocks)"
                          % (100 * d[0], 100 * d[1], 100 * d[2], 100 * d[3], d[4])
                          if d else "?")
            streams = (f"{c.get('streams', '?')} / {c.get('hardware_queues', '?')}"
                       if c else "?")
            print(f"| {ex} | {label} | {fmt(measured)} | {fmt(simulated)} | "
                  f"{fmt(ratio)} | {drift_text} | {streams} | "
                  f"{fmt(c.get('host_issue_ms_per_step'))} |")
    neg = os.path.join(out, "negative.log")
    if os.path.exists(neg):
        print("\nNegative case (toy, one activation dropped):\n")
        print("```\n" + open(neg).read().strip() + "\n```")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
