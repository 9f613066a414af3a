// RUN: rm -rf %t && mkdir -p %t
// RUN: crosspipe-opt %s --convert-crosspipe-schedule-to-emitc=form=unrolled | crosspipe-translate --mlir-to-cpp -o %t/plan.cpp
// RUN: FileCheck %s --input-file=%t/plan.cpp
// RUN: %cxx -std=c++17 -Wall -Werror -fsyntax-only -I %crosspipe_src/include %t/plan.cpp

// Names come from the user: datacenters named with a quote, a backslash
// and a newline, and a schedule whose symbol and algorithm string hold the
// same. The tables (and so the runtime's traces and plan files) take names
// of [A-Za-z0-9_.-] only ('>' in link names), so every other byte becomes
// '_'; comments are built from those names; the file compiles.

// CHECK:      static const crosspipe_link crosspipe_link_table[2] = {
// CHECK-NEXT:   {"e_a_st_x->w_e_st_y"},
// CHECK-NEXT:   {"w_e_st_y->e_a_st_x"},
// CHECK:      1, "s__x_plan", "a_b_c_d",
// CHECK:      // device 0: send act chunk 0 mb 0 to device 1 on channel 0 over link e_a_st_x->w_e_st_y, simulated link time 1 ms to 1.084 ms; waits for F chunk 0 mb 0

crosspipe.cluster @net {
  crosspipe.datacenter @"e\"a\\st\0Ax" devices 1
  crosspipe.datacenter @"w\"e\\st\0Ay" devices 1
  crosspipe.link @"e\"a\\st\0Ax" -> @"w\"e\\st\0Ay" latency 1 ms bandwidth 100 Gbps
  crosspipe.link @"w\"e\\st\0Ay" -> @"e\"a\\st\0Ax" latency 1 ms bandwidth 100 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
}
crosspipe.schedule @"s\"\0Ax" for @p algorithm "a\"b\\c\0Ad" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
}
