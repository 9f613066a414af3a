crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.link @east -> @east latency 1 ms bandwidth 0x7FF8000000000000 : f64 Gbps
}
