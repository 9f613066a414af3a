crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device -9223372036854775808 {
  }
}
