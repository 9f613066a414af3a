crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @g device 0 grad chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @g[0]
}
