crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @g device 1 grad chunk 1 slots 1 size 1 MiB
  %0 = crosspipe.recv grad chunk 1 mb 0 from 0 to 1 on recv_prev buffer @g[0]
}
