crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @w on @net microbatches 2 placement wave split_backward data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 1 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 1 MiB gradient 1 MiB
  crosspipe.stage device 0 forward 1 ms dgrad 1 ms wgrad 1 ms activation 1 MiB message 0 B gradient 1 MiB
}
crosspipe.schedule @w_zb_v for @w algorithm "zb-v" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
    crosspipe.compute F chunk 3 mb 0
    crosspipe.compute D chunk 3 mb 0
    crosspipe.compute W chunk 3 mb 0
    crosspipe.compute F chunk 3 mb 1
    crosspipe.compute D chunk 3 mb 1
    crosspipe.compute W chunk 3 mb 1
    crosspipe.compute D chunk 0 mb 0
    crosspipe.compute W chunk 0 mb 0
    crosspipe.compute D chunk 0 mb 1
    crosspipe.compute W chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute F chunk 2 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute F chunk 2 mb 1
    crosspipe.compute D chunk 2 mb 0
    crosspipe.compute W chunk 2 mb 0
    crosspipe.compute D chunk 1 mb 0
    crosspipe.compute W chunk 1 mb 0
    crosspipe.compute D chunk 2 mb 1
    crosspipe.compute W chunk 2 mb 1
    crosspipe.compute D chunk 1 mb 1
    crosspipe.compute W chunk 1 mb 1
  }
}
