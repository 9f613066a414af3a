crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 100 Gbps
}
crosspipe.pipeline @p on @net microbatches 3 placement unidirectional memory [2 MiB, 1 MiB] relative_to_1f1b 1.0 {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
