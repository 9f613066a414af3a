crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional memory [1 GiB] relative_to_1f1b 0x7FF0000000000000 : f64 {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 0 B gradient 0 B
}
