crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @a device 1 act chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.recv act chunk 0 mb 0 from 1 to 1 on recv_prev buffer @a[0]
}
