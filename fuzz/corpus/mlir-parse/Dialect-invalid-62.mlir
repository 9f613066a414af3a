crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.transfer act chunk 0 mb 0 from 0 to 4294967296
}
