// RUN: crosspipe-translate --export-svg %s -o %t.svg
// RUN: FileCheck %s < %t.svg
// RUN: python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" %t.svg
// RUN: crosspipe-translate --export-svg --svg-all %s | FileCheck %s --check-prefix=ALL
// RUN: crosspipe-translate --export-svg --svg-schedule=slow %s | FileCheck %s --check-prefix=SLOW
// RUN: not crosspipe-translate --export-svg --svg-schedule=none %s 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not crosspipe-translate --export-svg --svg-all --svg-schedule=slow %s 2>&1 | FileCheck %s --check-prefix=BOTH

// The fastest schedule (1F1B, 13 ms; GPipe takes 15 ms under queuing) is
// drawn by default: one row per device with every block at its simulated
// time and labelled with its microbatch, one row per link with the
// messages' bandwidth windows, each device's idle share (6 ms busy of 13:
// 54%), and the lower bound as a dashed line.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @slow for @p algorithm "gpipe" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 1
  }
}
crosspipe.schedule @fast for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
  }
}


// CHECK: <svg xmlns="http://www.w3.org/2000/svg"
// CHECK: >p: fast (1f1b)</text>
// CHECK: >makespan 13.0 ms, lower bound 13.0 ms (1.000x)</text>
// CHECK: >device 0</text>
// CHECK: <title>F chunk 0 mb 0 on device 0 [0.00, 1.00] ms</title>
// CHECK-NEXT: >0</text>
// CHECK: <title>B chunk 0 mb 0 on device 0 [8.00, 10.00] ms</title>
// CHECK: <title>B chunk 0 mb 1 on device 0 [11.00, 13.00] ms</title>
// CHECK: >idle 54%</text>
// CHECK: >device 1</text>
// CHECK: <title>F chunk 1 mb 0 on device 1 [3.00, 4.00] ms</title>
// CHECK: >idle 54%</text>
// CHECK: >dev0-&gt;dev1</text>
// CHECK: <title>act chunk 0 mb 1 dev0-&gt;dev1 [2.00, 3.00] ms</title>
// CHECK: >dev1-&gt;dev0</text>
// CHECK: <title>grad chunk 0 mb 0 dev1-&gt;dev0 [6.00, 7.00] ms</title>
// CHECK: <title>lower bound</title>
// CHECK: >F (forward)</text>
// CHECK: >B (backward)</text>
// CHECK: >activation transfer</text>
// CHECK: >gradient transfer</text>
// CHECK-NOT: p: slow
// CHECK: </svg>

// ALL: >p: fast (1f1b)</text>
// ALL: >p: slow (gpipe)</text>
// ALL: >makespan 15.0 ms, lower bound 13.0 ms (1.154x)</text>
// ALL: <title>B chunk 0 mb 0 on device 0 [13.00, 15.00] ms</title>
// ALL: >idle 60%</text>

// SLOW-NOT: p: fast
// SLOW: >p: slow (gpipe)</text>

// NONE: error: no crosspipe.schedule named 'none'
// BOTH: error: give either --svg-schedule or --svg-all, not both
