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
