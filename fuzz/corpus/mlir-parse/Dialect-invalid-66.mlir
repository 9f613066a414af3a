crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
crosspipe.pipeline @p on @net microbatches 4294967304 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 0 B gradient 0 B
}
