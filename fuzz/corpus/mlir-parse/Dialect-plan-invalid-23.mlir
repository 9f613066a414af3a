crosspipe.plan @p for @s devices 1 {
  %0 = crosspipe.dp_allreduce chunk 0 device 2147483648 buffer @g
}
