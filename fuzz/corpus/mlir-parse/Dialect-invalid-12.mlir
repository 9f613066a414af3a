crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 1 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement custom {
}
