crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.collective chunk 2147483648
  }
}
