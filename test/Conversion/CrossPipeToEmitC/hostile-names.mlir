// REQUIRES: cuda-toolkit
// RUN: rm -rf %t && mkdir -p %t
// RUN: crosspipe-opt %s --crosspipe-schedule=algorithm=1f1b --crosspipe-simulate --crosspipe-execution-plan --convert-crosspipe-to-emitc=backend=emulate | crosspipe-translate --mlir-to-cpp -o %t/plan.cpp
// RUN: FileCheck %s --input-file=%t/plan.cpp
// RUN: %cxx -std=c++17 -O0 -Wall -Werror -I %crosspipe_src/include -I %cuda_root/include -c %t/plan.cpp -o %t/plan.o

// Names come from the user: a datacenter named with a quote, a backslash
// and a newline (and a schedule algorithm string with the same) must reach
// the generated C++ only inside correctly escaped literals, and comments
// must not end or splice lines; the file compiles.

// CHECK: crosspipe_desc_link({{.*}}"e\"a\\st\012x->w\"e\\st\012y");
// CHECK: // Stream of link e\"a\\st\012x->w\"e\\st\012y

crosspipe.cluster @net {
  crosspipe.datacenter @"e\"a\\st\0Ax" devices 1
  crosspipe.datacenter @"w\"e\\st\0Ay" devices 1
  crosspipe.link @"e\"a\\st\0Ax" -> @"w\"e\\st\0Ay" latency 1 ms bandwidth 100 Gbps
  crosspipe.link @"w\"e\\st\0Ay" -> @"e\"a\\st\0Ax" latency 1 ms bandwidth 100 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
}
