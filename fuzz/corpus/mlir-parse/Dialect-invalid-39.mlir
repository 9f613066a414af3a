crosspipe.schedule @s for @p algorithm "manual" {
}
