crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1 ms, 2 ms] arrives 1.5 ms
}
