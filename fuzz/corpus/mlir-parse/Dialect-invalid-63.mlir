crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.transfer act chunk 0 mb 0 from -1 to 1
}
