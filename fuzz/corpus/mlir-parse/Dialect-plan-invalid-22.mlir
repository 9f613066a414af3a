crosspipe.plan @p for @s devices 2 {
  %0 = crosspipe.send act chunk 0 mb 0 from 0 to 9223372036854775807 on send_next buffer @b[0]
}
