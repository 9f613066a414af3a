crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
crosspipe.pipeline @pipe on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @pipe algorithm "manual" {
}
crosspipe.plan @p for @s devices 2147483647 {
}
