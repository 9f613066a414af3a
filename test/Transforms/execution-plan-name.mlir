// RUN: crosspipe-opt %s --crosspipe-execution-plan --verify-diagnostics

// The plan of schedule @s is named @s_plan; a symbol of another kind with
// that name is the user's and is never replaced.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
// expected-note @+1 {{the other symbol}}
crosspipe.pipeline @s_plan on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{cannot name its plan 's_plan': a crosspipe.pipeline already has that name}}
crosspipe.schedule @s for @s_plan algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
}
