crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.collective chunk 0 bucket 0 of 4294967296
  }
}
