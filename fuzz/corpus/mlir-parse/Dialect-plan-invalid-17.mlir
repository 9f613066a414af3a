crosspipe.plan @p for @s devices 4294967296 {
}
