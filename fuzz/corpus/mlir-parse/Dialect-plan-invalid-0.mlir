crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @b device 0 act chunk 0 slots 0 size 1 MiB
}
