#!/usr/bin/env python3
"""Compares two Chrome traces under the trace contract.

Every complete event is keyed by its identity in "args" (blocks by op,
chunk, mb and device; transfers by kind, chunk, mb, src, dst and link;
all-reduces by chunk and device); both traces must hold the same events with
the same times (to 1 ns) and the same otherData algorithm and makespan.
"""

import json
import sys


def events(path):
    trace = json.load(open(path))
    out = {}
    for e in trace["traceEvents"]:
        if e.get("ph") != "X":
            continue
        a = e["args"]
        if a["op"] == "xfer":
            key = ("xfer", a["kind"], a["chunk"], a["mb"], a["src"], a["dst"],
                   a["link"])
        elif a["op"] == "allreduce":
            key = ("allreduce", a["chunk"], a["device"])
        else:
            key = (a["op"], a["chunk"], a["mb"], a["device"])
        out[key] = (e["ts"], e["dur"])
    return trace["otherData"], out


def main(a, b):
    other_a, ev_a = events(a)
    other_b, ev_b = events(b)
    for field in ("algorithm", "makespan_ms"):
        if other_a[field] != other_b[field] and not (
                isinstance(other_a[field], float)
                and abs(other_a[field] - other_b[field]) < 1e-6):
            sys.exit(f"otherData.{field}: {other_a[field]} vs {other_b[field]}")
    if set(ev_a) != set(ev_b):
        only_a = sorted(set(ev_a) - set(ev_b))[:3]
        only_b = sorted(set(ev_b) - set(ev_a))[:3]
        sys.exit(f"different events: only in {a}: {only_a}; only in {b}: "
                 f"{only_b}")
    for key, (ts, dur) in ev_a.items():
        ts_b, dur_b = ev_b[key]
        if abs(ts - ts_b) > 1e-3 or abs(dur - dur_b) > 1e-3:
            sys.exit(f"{key}: [{ts}, +{dur}] us vs [{ts_b}, +{dur_b}] us")
    kinds = {}
    for key in ev_a:
        kinds[key[0] if key[0] in ("xfer", "allreduce") else "block"] = \
            kinds.get(key[0] if key[0] in ("xfer", "allreduce") else "block",
                      0) + 1
    print("same timeline: " + ", ".join(f"{n} {k}" for k, n in
                                        sorted(kinds.items())))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
