crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @g device 0 param_grad chunk 0 slots 2 size 1 MiB
}
