#!/usr/bin/env python3
"""Summarizes bench/gpu/run.sh: one Markdown row per example.

Reads OUT/<example>-summary.json (written by the runtime) and the measured
trace, and prints the simulated and measured step, their ratio, the spread
over the measured steps, the host's issue cost per block, and the largest
difference between a block's measured and predicted start, which shows
where the two timelines part.
"""

import json
import sys


def block_starts(path):
    trace = json.load(open(path))
    starts = {}
    for event in trace["traceEvents"]:
        args = event.get("args", {})
        if event.get("ph") == "X" and args.get("op") in ("F", "B", "D", "W"):
            key = (args["op"], args["chunk"], args["mb"])
            starts[key] = min(starts.get(key, 1e30), event["ts"] / 1e3)
    return starts


def main(out, examples):
    print("| example | algorithm | simulated step (ms) | measured step (ms) "
          "| measured / simulated | step spread (ms) | host issue (us/block) "
          "| max start drift (ms) | tags |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for ex in examples:
        s = json.load(open(f"{out}/{ex}-summary.json"))
        steps = [step["makespan_ms"] for step in s["steps"]]
        measured = block_starts(f"{out}/{ex}-measured.json")
        predicted = block_starts(f"{out}/{ex}-predicted.json")
        origin_m = min(measured.values())
        origin_p = min(predicted.values())
        drift = max(abs((measured[k] - origin_m) - (predicted[k] - origin_p))
                    for k in predicted)
        print(f"| {ex} | {s['algorithm']} | {s['predicted_makespan_ms']:.1f} "
              f"| {s['measured_makespan_ms']:.1f} "
              f"| {s['measured_over_predicted']:.3f} "
              f"| {max(steps) - min(steps):.2f} "
              f"| {s['issue_us_per_block']:.1f} | {drift:.2f} "
              f"| all {s['blocks_per_step']} blocks checked |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
