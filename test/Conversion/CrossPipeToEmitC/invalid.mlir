// RUN: not crosspipe-opt %s --split-input-file --convert-crosspipe-to-emitc=backend=cuda 2>&1 | FileCheck %s --check-prefix=BACKEND
// RUN: not crosspipe-opt %s --split-input-file --convert-crosspipe-to-emitc=form=compact 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: crosspipe-opt %s --split-input-file --convert-crosspipe-to-emitc --verify-diagnostics

// What the conversion refuses: an unknown backend or form, a module without
// a plan or with several, and a plan that does not verify.

// The backend is a typed option: an unknown name is refused while the
// pipeline is parsed.
// BACKEND: for the --backend option: Cannot find option named 'cuda'!
// FORM: for the --form option: Cannot find option named 'compact'!

// expected-error @+1 {{no crosspipe.plan to lower; run --crosspipe-execution-plan first}}
module {
}

// -----

// expected-error @+1 {{the module has 2 plans; choose one with plan=NAME}}
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
  crosspipe.plan @a for @s devices 1 {
  }
  crosspipe.plan @b for @s devices 1 {
  }
}

// -----

// A plan that misses a block of its schedule is never lowered.
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
