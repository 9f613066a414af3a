crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @s0 device 0 stash chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 stash @s0[2]
}
