crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @east latency 0 ms bandwidth 10000 Gbps
  crosspipe.link @west -> @west latency 0 ms bandwidth 10000 Gbps
  crosspipe.link @east -> @west latency 2 ms bandwidth 1000 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 1000 Gbps
}
crosspipe.pipeline @p on @net microbatches 4 placement wave memory [3 MiB, 3 MiB, 3 MiB] data_parallel 2 cross_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 250000000 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 375000000 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 125000000 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 125000000 B gradient 250000000 B
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 375000000 B
}
