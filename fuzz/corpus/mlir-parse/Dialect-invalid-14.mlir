crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom split_backward {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad -2 ms activation 1 B message 1 B gradient 0 B
}
