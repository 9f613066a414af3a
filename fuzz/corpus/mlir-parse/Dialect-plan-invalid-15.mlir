crosspipe.plan @p for @s devices 2 {
  %0 = crosspipe.exec F chunk 0 mb 0 device 0
  %1 = crosspipe.exec F chunk 1 mb 0 device 1 after(%0)
}
