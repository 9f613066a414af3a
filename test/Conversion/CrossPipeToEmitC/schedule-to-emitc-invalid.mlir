// RUN: not crosspipe-opt %s --split-input-file --convert-crosspipe-schedule-to-emitc=form=compact 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: crosspipe-opt %s --split-input-file --convert-crosspipe-schedule-to-emitc --verify-diagnostics
// RUN: not crosspipe-opt %s --convert-crosspipe-schedule-to-emitc=schedule=nope 2>&1 | FileCheck %s --check-prefix=NAMED

// What --convert-crosspipe-schedule-to-emitc refuses: an unknown form, a
// module without a schedule or with several, and a schedule that does not
// simulate.

// The form is a typed option: an unknown name is refused while the
// pipeline is parsed.
// FORM: for the --form option: Cannot find option named 'compact'!
// NAMED: error: no crosspipe.schedule named 'nope'

// expected-error @+1 {{no crosspipe.schedule to lower; run --crosspipe-schedule first}}
module {
}

// -----

// expected-error @+1 {{the module has 2 schedules; choose one with schedule=NAME}}
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

// A schedule that runs B before its F never reaches the planner.
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
