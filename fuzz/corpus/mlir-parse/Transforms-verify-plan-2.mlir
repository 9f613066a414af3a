crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 2 MiB
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 2 MiB
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute B chunk 0 mb 0
  }
  crosspipe.program device 1 {
    crosspipe.compute F chunk 1 mb 0
    crosspipe.compute B chunk 1 mb 0
  }
}
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 2 MiB
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 2 MiB
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}
