crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 2
  crosspipe.link @east -> @east latency 0 ms bandwidth 1000 Gbps
  crosspipe.link @west -> @west latency 0 ms bandwidth 1000 Gbps
  crosspipe.link @east -> @west latency 20 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 20 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @q on @net microbatches 6 placement unidirectional split_backward memory [4 MiB, 3 MiB, 2 MiB, 1 MiB] relative_to_1f1b 1.0 {
  crosspipe.stage device 0 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 4 MiB gradient 0 B
  crosspipe.stage device 1 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 4 MiB gradient 0 B
  crosspipe.stage device 2 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 4 MiB gradient 0 B
  crosspipe.stage device 3 forward 10 ms dgrad 10 ms wgrad 5 ms activation 1 MiB message 0 B gradient 0 B
}
