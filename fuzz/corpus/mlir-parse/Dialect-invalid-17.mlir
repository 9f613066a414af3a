crosspipe.pipeline @p on @nowhere microbatches 1 placement custom {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 1 B message 1 B gradient 0 B
}
