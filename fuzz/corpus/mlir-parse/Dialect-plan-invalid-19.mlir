crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @b device 0 act chunk 0 slots 1 size 9223372036854775808 B
}
