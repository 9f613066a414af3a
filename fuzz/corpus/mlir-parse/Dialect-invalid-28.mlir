crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 5 mb 0
  }
}
