crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @a device 0 act chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_prev buffer @a[0]
}
