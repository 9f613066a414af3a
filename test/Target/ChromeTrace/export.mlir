// RUN: crosspipe-translate --export-chrome-trace %s -o %t.json
// RUN: FileCheck %s < %t.json
// RUN: python3 -m json.tool %t.json > /dev/null
// RUN: crosspipe-translate --export-chrome-trace --trace-schedule=slow %s | FileCheck %s --check-prefix=SLOW
// RUN: not crosspipe-translate --export-chrome-trace --trace-schedule=none %s 2>&1 | FileCheck %s --check-prefix=NONE

// The fastest schedule is exported by default (here 1F1B beats GPipe under
// queuing); times are microseconds, one complete event per block and per
// transfer, with the summary in otherData.

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

// CHECK: "otherData": {"algorithm":"1f1b","lower_bound_ms":13.0,"makespan_ms":13.0,"problem":"p"}
// CHECK: {"args":{"chunk":0,"device":0,"mb":0,"op":"F"},"dur":1000.0,"name":"F0.0","ph":"X","pid":0,"tid":0,"ts":0.0}
// CHECK: {"args":{"chunk":0,"device":0,"mb":0,"op":"B"},"dur":2000.0,"name":"B0.0","ph":"X","pid":0,"tid":0,"ts":8000.0}
// CHECK: {"args":{"chunk":1,"device":1,"mb":1,"op":"B"},"dur":2000.0,"name":"B1.1","ph":"X","pid":0,"tid":1,"ts":7000.0}
// CHECK: {"args":{"chunk":0,"dst":1,"kind":"act","link":"dev0->dev1","mb":1,"op":"xfer","src":0},"dur":1000.0,"name":"act0.1","ph":"X","pid":1,"tid":0,"ts":2000.0}
// CHECK: {"args":{"chunk":0,"dst":0,"kind":"grad","link":"dev1->dev0","mb":1,"op":"xfer","src":1},"dur":1000.0,"name":"grad0.1","ph":"X","pid":1,"tid":1,"ts":9000.0}

// SLOW: "otherData": {"algorithm":"gpipe"
// NONE: error: no crosspipe.schedule named 'none'
