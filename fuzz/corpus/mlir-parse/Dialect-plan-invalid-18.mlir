crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @b device 0 act chunk 0 slots 2147483648 size 1 MiB
}
