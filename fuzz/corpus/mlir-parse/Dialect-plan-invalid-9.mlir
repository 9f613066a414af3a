crosspipe.plan @p for @s devices 1 {
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @nope[0]
}
