// RUN: crosspipe-translate %s --split-input-file --export-plan --verify-diagnostics
// RUN: rm -rf %t && mkdir -p %t
// RUN: not crosspipe-translate %s --export-plan --plan-name=nope -o %t/nope.plan 2>&1 | FileCheck %s --check-prefix=NAMED
// RUN: not test -e %t/nope.plan
// RUN: not crosspipe-translate %s --export-plan --plan-backend=cuda 2>&1 | FileCheck %s --check-prefix=BACKEND

// What --export-plan refuses; nothing is written then (the -o file is not
// created). The backend is a typed option.
// NAMED: error: no crosspipe.plan or crosspipe.schedule named 'nope' to export
// BACKEND: for the --plan-backend option: Cannot find option named 'cuda'!

// expected-error @+1 {{no crosspipe.plan or crosspipe.schedule to export; run --crosspipe-schedule first}}
module {
}

// -----

// expected-error @+1 {{the module has 2 schedules; choose one with --plan-name=NAME}}
module {
  crosspipe.cluster @net {
    crosspipe.datacenter @east devices 1
  }
  crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
    crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
  }
  crosspipe.schedule @a for @p algorithm "1f1b" {
    crosspipe.program device 0 {
      crosspipe.compute F chunk 0 mb 0
      crosspipe.compute B chunk 0 mb 0
    }
  }
  crosspipe.schedule @b for @p algorithm "1f1b" {
    crosspipe.program device 0 {
      crosspipe.compute F chunk 0 mb 0
      crosspipe.compute B chunk 0 mb 0
    }
  }
}

// -----

// A plan that misses a block of its schedule is never exported.
module {
  crosspipe.cluster @net {
    crosspipe.datacenter @east devices 1
  }
  crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
    crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
  }
  crosspipe.schedule @s for @p algorithm "1f1b" {
    crosspipe.program device 0 {
      crosspipe.compute F chunk 0 mb 0
      crosspipe.compute B chunk 0 mb 0
    }
  }
  // expected-error @+1 {{never runs B chunk 0 mb 0 of device 0's program}}
  crosspipe.plan @a for @s devices 1 {
    crosspipe.buffer @stash0 device 0 stash chunk 0 slots 1 size 1 MiB
    %0 = crosspipe.exec F chunk 0 mb 0 device 0 stash @stash0[0]
  }
}

// -----

// A schedule that deadlocks is never planned.
module {
  crosspipe.cluster @net {
    crosspipe.datacenter @east devices 1
  }
  crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
    crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
  }
  crosspipe.schedule @s for @p algorithm "hand" {
    crosspipe.program device 0 {
      // expected-error @+1 {{deadlocks: B chunk 0 mb 0 on device 0 waits for F chunk 0 mb 0 on device 0, which can never run}}
      crosspipe.compute B chunk 0 mb 0
      // expected-note @+1 {{device 0 waits for this block (F chunk 0 mb 0) before B chunk 0 mb 0}}
      crosspipe.compute F chunk 0 mb 0
    }
  }
}

// -----

// A cluster of 16385 devices plans, but the runtime holds at most 16384:
// its own check refuses the tables.
// expected-error @+1 {{the runtime's check refuses the plan: plan: devices 16385 is out of range [1, 16384]}}
module {
  crosspipe.cluster @net {
    crosspipe.datacenter @east devices 16385
  }
  crosspipe.pipeline @p on @net microbatches 1 placement custom {
    crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
  }
  crosspipe.schedule @s for @p algorithm "hand" {
    crosspipe.program device 0 {
      crosspipe.compute F chunk 0 mb 0
      crosspipe.compute B chunk 0 mb 0
    }
  }
}
