crosspipe.plan @p for @s devices 2 {
  %0 = crosspipe.exec F chunk 0 mb 0 device 2
}
