crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 1e5 ms bandwidth 1 Gbps
}
