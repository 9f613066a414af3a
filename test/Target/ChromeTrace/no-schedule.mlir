// RUN: not crosspipe-translate --export-chrome-trace %s -o %t.json 2>&1 | FileCheck %s
// RUN: not test -e %t.json
// RUN: not crosspipe-translate --export-chrome-trace %s 2>&1 | wc -l | FileCheck %s --check-prefix=LINES

// A translation asked for what the module lacks says so in one diagnostic
// (no dump of the whole module) and writes no output file.

// CHECK: error: no crosspipe.schedule to export; run --crosspipe-schedule first
// CHECK-NOT: see current operation
// LINES: {{^ *1$}}

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
