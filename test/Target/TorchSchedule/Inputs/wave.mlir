// Two ranks in two datacenters, four stages in a V (0 and 3 on rank 0,
// 1 and 2 on rank 1), split backward.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @v on @net microbatches 4 placement wave split_backward {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 0 B gradient 0 B
}
