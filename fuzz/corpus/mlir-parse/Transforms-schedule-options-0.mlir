crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 0 ms bandwidth 100 Gbps
}
crosspipe.pipeline @toy on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 1 MiB
}
