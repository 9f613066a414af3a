crosspipe.cluster @net {
  crosspipe.datacenter @"e\"a\\st\0Ax" devices 1
  crosspipe.datacenter @"w\"e\\st\0Ay" devices 1
  crosspipe.link @"e\"a\\st\0Ax" -> @"w\"e\\st\0Ay" latency 1 ms bandwidth 100 Gbps
  crosspipe.link @"w\"e\\st\0Ay" -> @"e\"a\\st\0Ax" latency 1 ms bandwidth 100 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
}
