crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 part 0 of 2147483648
  }
}
