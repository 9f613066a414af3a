#!/usr/bin/env python3
"""Checks generated NCCL C++ independently of the compiler's own verifier.

Reads the C++ that --convert-crosspipe-to-emitc=backend=nccl printed and,
for every channel (one NCCL communicator), collects the ncclSend calls in the
sender's device function and the ncclRecv calls in the receiver's, in the
order each function enqueues them. It fails unless every channel is driven by
exactly one device function on each side, every send has its receive, and the
receives come in the order of the sends (what two-rank NCCL communicators
need to not deadlock). Prints one line per channel and a total.
"""

import re
import sys
from collections import defaultdict

FUNCTION = re.compile(r"^static void crosspipe_step_device_(\d+)\(")
CALL = re.compile(r"= (ncclSend|ncclRecv)\(.*crosspipe_channel_comm\(\w+, (\d+)\)")
WHAT = re.compile(r'crosspipe_check_nccl\(\w+, \w+, "device (\d+): '
                  r'(send|recv) (act|grad) chunk (\d+) mb (\d+) (?:to|from) '
                  r'device (\d+)"\);')


def main(path):
    sends = defaultdict(list)  # channel -> [(device, kind, chunk, mb, peer)]
    recvs = defaultdict(list)
    device = None
    pending = None
    for number, line in enumerate(open(path), 1):
        line = line.strip()
        match = FUNCTION.match(line)
        if match:
            device = int(match.group(1))
            continue
        match = CALL.search(line)
        if match:
            pending = (match.group(1), int(match.group(2)), number)
            continue
        match = WHAT.search(line)
        if match and pending:
            call, channel, at = pending
            pending = None
            where, op, kind, chunk, mb, peer = match.groups()
            if int(where) != device:
                sys.exit(f"{path}:{at}: {call} in the function of device "
                         f"{device} claims device {where}")
            if (call == "ncclSend") != (op == "send"):
                sys.exit(f"{path}:{at}: {call} is checked as a {op}")
            entry = (device, kind, int(chunk), int(mb), int(peer))
            (sends if op == "send" else recvs)[channel].append(entry)
    channels = sorted(set(sends) | set(recvs))
    if not channels:
        sys.exit(f"{path}: no ncclSend or ncclRecv found")
    total = 0
    for channel in channels:
        out, into = sends[channel], recvs[channel]
        senders = {e[0] for e in out}
        receivers = {e[0] for e in into}
        if len(senders) != 1 or len(receivers) != 1:
            sys.exit(f"channel {channel}: sent from devices {sorted(senders)} "
                     f"and received on {sorted(receivers)}; expected one each")
        src, dst = senders.pop(), receivers.pop()
        for i, (s, r) in enumerate(zip(out, into)):
            if s[1:4] != r[1:4] or s[4] != dst or r[4] != src:
                sys.exit(f"channel {channel} ({src} -> {dst}): send {i} is "
                         f"{s[1]} chunk {s[2]} mb {s[3]} but receive {i} is "
                         f"{r[1]} chunk {r[2]} mb {r[3]}")
        if len(out) != len(into):
            sys.exit(f"channel {channel} ({src} -> {dst}): {len(out)} sends "
                     f"but {len(into)} receives")
        kinds = {e[1] for e in out}
        print(f"channel {channel}: {'/'.join(sorted(kinds))} {src} -> {dst}, "
              f"{len(out)} messages in matching order")
        total += len(out)
    print(f"ok: {len(channels)} channels, {total} messages")


if __name__ == "__main__":
    main(sys.argv[1])
