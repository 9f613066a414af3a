crosspipe.schedule @s for @p algorithm "manual" attributes {makespan = #crosspipe.time<-1.0e999 ms>} {
}
