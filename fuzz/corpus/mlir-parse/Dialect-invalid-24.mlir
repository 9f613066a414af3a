crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [4 MiB, 1 MiB] {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 2 MiB message 1 B gradient 0 B
}
