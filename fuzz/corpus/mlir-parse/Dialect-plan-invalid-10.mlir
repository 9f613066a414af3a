crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @a device 1 act chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @a[0]
}
