crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}
