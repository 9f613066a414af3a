// Device 0 interleaves the parts of its two forwards: no PyTorch action
// can stand for F chunk 0 mb 0.
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.link @east -> @east latency 1 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 2 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "manual" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0 part 0 of 2
    crosspipe.compute F chunk 0 mb 1 part 0 of 2
    crosspipe.compute F chunk 0 mb 0 part 1 of 2
    crosspipe.compute F chunk 0 mb 1 part 1 of 2
    crosspipe.compute B chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 1
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
    crosspipe.compute F chunk 1 mb 1
    crosspipe.compute B chunk 1 mb 1
  }
}
