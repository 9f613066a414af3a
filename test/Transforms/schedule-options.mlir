// What --crosspipe-schedule refuses in its options: a schedule name that
// belongs to another symbol (it would erase the pipeline or the cluster),
// non-finite or absurd numbers. Each is one error naming the option.
//
// RUN: not crosspipe-opt %s --crosspipe-schedule="name=toy" 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not crosspipe-opt %s --crosspipe-schedule="name=net" 2>&1 | FileCheck %s --check-prefix=CLUSTER
// RUN: crosspipe-opt %s --crosspipe-schedule="name=s" --crosspipe-schedule="name=s algorithm=gpipe" | FileCheck %s --check-prefix=REPLACE
// RUN: not crosspipe-opt %s --crosspipe-schedule="memory-limit-mib=nan" 2>&1 | FileCheck %s --check-prefix=NANLIMIT
// RUN: not crosspipe-opt %s --crosspipe-schedule="memory-relative=nan" 2>&1 | FileCheck %s --check-prefix=NANREL
// RUN: not crosspipe-opt %s --crosspipe-schedule="memory-relative=inf" 2>&1 | FileCheck %s --check-prefix=INFREL
// RUN: not crosspipe-opt %s --crosspipe-schedule="memory-limit-mib=1e30" 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=optimal threads=100000" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=optimal time-limit=inf" 2>&1 | FileCheck %s --check-prefix=TIME
// RUN: not crosspipe-opt %s --crosspipe-schedule="sub-blocks=100000" 2>&1 | FileCheck %s --check-prefix=SUB
// RUN: not crosspipe-opt %s --crosspipe-schedule="algorithm=1f1b" --crosspipe-dp-overlap="buckets=1000000000" 2>&1 | FileCheck %s --check-prefix=BUCKETS
// RUN: not crosspipe-opt %s --crosspipe-schedule="threads=abc" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not crosspipe-opt %s --crosspipe-dp-overlap="buckets=x" 2>&1 | FileCheck %s --check-prefix=MALFORMED-DP
// RUN: not crosspipe-opt %s --crosspipe-execution-plan="bogus=1" 2>&1 | FileCheck %s --check-prefix=MALFORMED-PLAN

// PIPELINE: error: cannot name the schedule 'toy': a crosspipe.pipeline already has that name
// PIPELINE: note: the other symbol
// CLUSTER: error: cannot name the schedule 'net': a crosspipe.cluster already has that name
// REPLACE: crosspipe.pipeline @toy
// REPLACE: crosspipe.schedule @s for @toy algorithm "gpipe"
// REPLACE-NOT: crosspipe.schedule
// NANLIMIT: error: memory-limit-mib must be a finite number of at most 1099511627776 MiB, got nan
// NANREL: error: memory-relative must be a finite factor of at most 1000000, got nan
// INFREL: error: memory-relative must be a finite factor of at most 1000000, got INF
// HUGE: error: memory-limit-mib must be a finite number of at most 1099511627776 MiB, got 1.000000e+30
// THREADS: error: threads must be at most 1024, got 100000
// TIME: error: time-limit must be at most 1000000 s, got INF
// SUB: error: sub-blocks must be at most 1024, got 100000
// BUCKETS: error: buckets must be at most 4096, got 1000000000
// A value that does not parse: llvm::cl's reason, then one error naming the
// pass (never an empty error line).
// MALFORMED: for the --threads option: 'abc' value invalid for integer argument!
// MALFORMED-NEXT: error: invalid options 'threads=abc' for --crosspipe-schedule: the line above says why
// MALFORMED-DP: error: invalid options 'buckets=x' for --crosspipe-dp-overlap: the line above says why
// MALFORMED-PLAN: error: invalid options 'bogus=1' for --crosspipe-execution-plan: <Pass-Options-Parser>: no such option bogus

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @toy on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 1 MiB
}
