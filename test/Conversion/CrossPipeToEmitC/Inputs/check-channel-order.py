#!/usr/bin/env python3
"""Checks the tables of a generated plan independently of the compiler.

Reads the C++ that --convert-crosspipe-to-emitc (or --crosspipe-compile)
printed: the chunk table, the channel table and every device's program of
actions ({op, chunk, mb, ...}, include/crosspipe/Runtime/Plan.h). For every
channel it collects the sends (on the sender's program) and the receives (on
the receiver's) in program order, deriving each message's channel from the
devices of its boundary's chunks as the runtime does. It fails unless every
send has its receive and the receives come in the order of the sends (what
a two-rank communicator per channel needs to not deadlock), and unless every
WAIT names an earlier non-wait entry. Prints one line per channel, then the
totals.
"""

import re
import sys
from collections import defaultdict

TABLE = re.compile(r"^static const crosspipe_(\w+) crosspipe_(\w+)\[\d+\] = \{$")
ROW = re.compile(r"^\s*\{(.*)\},$")
OPS = {0: "WAIT", 1: "F", 2: "B", 3: "D", 4: "W", 5: "SEND_ACT",
       6: "SEND_GRAD", 7: "RECV_ACT", 8: "RECV_GRAD"}


def read_tables(path):
    """{table name: [row fields as strings]} for every table of the file."""
    tables, name = {}, None
    for line in open(path):
        line = line.rstrip("\n")
        start = TABLE.match(line)
        if start:
            name = start.group(2)
            tables[name] = []
        elif name and line == "};":
            name = None
        elif name:
            row = ROW.match(line)
            if not row:
                sys.exit("malformed row in %s: %s" % (name, line))
            tables[name].append([f.strip() for f in row.group(1).split(",")])
    return tables


def main(path):
    tables = read_tables(path)
    device_of = [int(row[0]) for row in tables["chunk_table"]]
    channels = [(int(r[0]), int(r[1]), r[2]) for r in tables["channel_table"]]
    channel_of = {key: i for i, key in enumerate(channels)}
    sends, recvs = defaultdict(list), defaultdict(list)
    blocks = 0
    for name, rows in sorted(tables.items()):
        if not name.startswith("program_") or name == "program_table":
            continue
        device = int(name[len("program_"):])
        for index, row in enumerate(rows):
            fields = [int(f) for f in row] + [0] * (8 - len(row))
            op, chunk, mb = fields[0], fields[1], fields[2]
            if op == 0 and (chunk >= index or rows[chunk][0] == "0"):
                sys.exit("device %d entry %d waits for entry %d, which is not "
                         "an earlier action" % (device, index, chunk))
            blocks += 1 <= op <= 4
            if op not in (5, 6, 7, 8):
                continue
            act = op in (5, 7)
            lower, upper = device_of[chunk], device_of[chunk + 1]
            src, dst = (lower, upper) if act else (upper, lower)
            role = "CROSSPIPE_ACT" if act else "CROSSPIPE_GRAD"
            channel = channel_of.get((src, dst, role))
            if channel is None:
                sys.exit("device %d entry %d (%s chunk %d mb %d) has no channel"
                         % (device, index, OPS[op], chunk, mb))
            (sends if op in (5, 6) else recvs)[channel].append(
                ("act" if act else "grad", chunk, mb))
    total = 0
    for channel, (src, dst, role) in enumerate(channels):
        s, r = sends[channel], recvs[channel]
        for i, (sent, received) in enumerate(zip(s, r)):
            if sent != received:
                sys.exit("channel %d (%d -> %d): send %d is %s chunk %d mb %d "
                         "but receive %d is %s chunk %d mb %d"
                         % ((channel, src, dst, i) + sent + (i,) + received))
        if len(s) != len(r):
            sys.exit("channel %d (%d -> %d): %d sends but %d receives"
                     % (channel, src, dst, len(s), len(r)))
        kind = "act" if role == "CROSSPIPE_ACT" else "grad"
        print("channel %d: %s %d -> %d, %d messages in matching order"
              % (channel, kind, src, dst, len(s)))
        total += len(s)
    print("ok: %d channels, %d messages, %d blocks" % (len(channels), total,
                                                        blocks))


if __name__ == "__main__":
    main(sys.argv[1])
