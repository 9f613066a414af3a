crosspipe.cluster @net {
  crosspipe.datacenter @dc devices 1
  crosspipe.link @dc -> @dc latency 0.5 ms bandwidth 500 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 4 ms activation 1 MiB message 0 B gradient 125000000 B
}
crosspipe.schedule @s for @p algorithm "hand" {
  crosspipe.program device 0 {
    crosspipe.collective all_gather chunk 0 [0 ms, 1.5 ms]
    crosspipe.compute F chunk 0 mb 0 [0 ms, 1 ms]
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
}
