crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  crosspipe.datacenter @west devices 2 memory 98304 MiB
  crosspipe.link @east -> @east latency 0.01 ms bandwidth 200 Gbps
  crosspipe.link @west -> @west latency 10 us bandwidth 0.2 Tbps
  crosspipe.link @east -> @west latency 20 ms bandwidth 100 Gbps
  crosspipe.link @west -> @east latency 1.5 s bandwidth 500 Mbps
}

crosspipe.pipeline @step on @net microbatches 4 placement unidirectional split_backward memory [8 GiB, 6 GiB, 4 GiB, 2 GiB] relative_to_1f1b 1.0 data_parallel 2 cross_dc {
  crosspipe.stage device 0 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
  crosspipe.stage device 1 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
  crosspipe.stage device 2 forward 38 ms dgrad 38 ms wgrad 30 ms activation 2 GiB message 64 MiB gradient 2000 MiB
  crosspipe.stage device 3 forward 0.038 s dgrad 500 us wgrad 1 s activation 1.5 GiB message 0 B gradient 1 B
}

crosspipe.pipeline @fused on @net microbatches 2 placement wave {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 3 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 3 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 2 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 KiB message 1 KiB gradient 0 B
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 KiB message 0 B gradient 0 B
}

crosspipe.schedule @s for @step algorithm "manual" attributes {makespan = #crosspipe.time<100 ms>, lower_bound = #crosspipe.time<90 ms>, optimal = false, gap = 0.05 : f64} {
  crosspipe.program device 0 attributes {bubble = 0.25 : f64, peak_memory = #crosspipe.bytes<2048 MiB>} {
    crosspipe.compute F chunk 0 mb 0 [0 ms, 38 ms]
    crosspipe.compute D chunk 0 mb 0 part 0 of 2
    crosspipe.compute D chunk 0 mb 0 part 1 of 2
    crosspipe.collective chunk 0 [90 ms, 100 ms]
  }
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [38 ms, 40 ms] arrives 40.01 ms
  crosspipe.transfer grad chunk 0 mb 0 from 1 to 0
}
