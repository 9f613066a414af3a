#!/usr/bin/env python3
"""Edits a plan file the way a broken compiler or a hand edit would, and
writes it back with its counts and checksum recomputed, so that the runner
meets the edit itself (with --check structure) rather than a corrupted file.

  plan-edit.py IN OUT [--drop DEVICE LINE]... [--set DEVICE LINE NEW]...

--drop removes the first action of program DEVICE whose line is exactly
LINE (waits on it go too, later waits are renumbered); --set replaces it
with NEW. The checksum is FNV-1a 64 of every byte before the end line.
"""

import sys


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def parse(lines):
    """Splits into the lines before the programs and the programs."""
    head, programs = [], []
    for line in lines:
        if line.startswith("end "):
            break
        if line.startswith("program "):
            programs.append([])
        elif programs:
            if not line.startswith("#"):
                programs[-1].append(line)
            continue
        if not programs:
            head.append(line)
    return head, programs


def drop(actions, index):
    kept, renumber = [], {}
    for i, line in enumerate(actions):
        fields = line.split()
        if i == index:
            continue
        if fields[0] == "WAIT":
            target = int(fields[1]) if len(fields) > 1 else 0
            if target == index or target not in renumber:
                continue
            line = "WAIT" + ("" if renumber[target] == 0 else
                             " %d" % renumber[target])
        renumber[i] = len(kept)
        kept.append(line)
    return kept


def main(argv):
    src, dst, ops = argv[1], argv[2], argv[3:]
    lines = open(src).read().split("\n")
    head, programs = parse(lines)
    i = 0
    while i < len(ops):
        op, device, line = ops[i], int(ops[i + 1]), ops[i + 2]
        actions = programs[device]
        if line not in actions:
            sys.exit("plan-edit: no action '%s' in program %d" %
                     (line, device))
        at = actions.index(line)
        if op == "--drop":
            programs[device] = drop(actions, at)
            i += 3
        elif op == "--set":
            actions[at] = ops[i + 3]
            i += 4
        else:
            sys.exit("plan-edit: unknown operation " + op)
    body = head[:]
    for d, actions in enumerate(programs):
        body.append("program %d %d" % (d, len(actions)))
        body.extend(actions)
    text = "\n".join(body) + "\n"
    end = [l for l in lines if l.startswith("end ")][0].split()
    end[6] = str(sum(len(a) for a in programs))
    end[7] = "%016x" % fnv1a(text.encode())
    open(dst, "w").write(text + " ".join(end) + "\n")


if __name__ == "__main__":
    main(sys.argv)
