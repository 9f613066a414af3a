crosspipe.schedule @s for @p algorithm "manual" attributes {gap = 0x7FF0000000000000 : f64} {
}
