crosspipe.plan @p for @s devices 1 {
  %0 = crosspipe.exec F chunk 0 mb 0 part 0 of 2147483648 device 0
}
