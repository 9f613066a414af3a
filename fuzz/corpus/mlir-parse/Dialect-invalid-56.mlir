crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 9223372036854775807
  }
}
