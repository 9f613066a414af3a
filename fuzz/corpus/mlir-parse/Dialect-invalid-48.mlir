crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency true ms bandwidth 1 Gbps
}
