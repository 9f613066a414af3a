crosspipe.plan @p for @s devices 1 {
  %0 = crosspipe.exec F chunk 0 mb 0 part 2 of 2 device 0
}
