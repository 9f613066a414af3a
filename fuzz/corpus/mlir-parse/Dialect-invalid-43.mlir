crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 1.0e999 ms bandwidth 1 Gbps
}
