crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @g device 0 grad chunk 2 slots 1 size 1 MiB
  %0 = crosspipe.exec D chunk 1 mb 0 device 0 in @g[0]
}
