crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 3 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @p_1f1b for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 2
    crosspipe.compute B chunk 0 mb 1
    crosspipe.compute B chunk 0 mb 2
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
    crosspipe.compute F chunk 1 mb 2
    crosspipe.compute B chunk 1 mb 2
  }
}
