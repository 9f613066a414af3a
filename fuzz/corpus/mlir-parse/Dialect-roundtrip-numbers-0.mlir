crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2 memory 1.0e6 GiB
  crosspipe.datacenter @west devices 2 memory 9223372036854775807 B
  crosspipe.link @east -> @east latency 1.0e5 ms bandwidth 1.0e6 Gbps
  crosspipe.link @west -> @west latency 123456789.125 s bandwidth 1.0e15 Tbps
  crosspipe.link @east -> @west latency 1.0e-9 ns bandwidth 1.0e-9 Mbps
  crosspipe.link @west -> @east latency 1.0e15 us bandwidth 123456789.125 Gbps
}

crosspipe.pipeline @step on @net microbatches 2147483647 placement unidirectional split_backward memory [1.0e5 B, 1.0e6 KiB, 123456789.125 GiB, 1.0e15 B] relative_to_1f1b 1.0e15 data_parallel 2147483647 cross_dc {
  crosspipe.stage device 0 forward 1.0e5 ms dgrad 1.0e6 s wgrad 123456789.125 ms activation 1 B message 1.0e5 B gradient 1.0e15 B
  crosspipe.stage device 1 forward 1.0e-9 ms dgrad 1.0e-9 s wgrad 1.0e15 ns activation 1 B message 1 B gradient 8388607 TiB
  crosspipe.stage device 2 forward 1.0e16 ms dgrad 1.0e20 s wgrad 1.0e300 ms activation 1 B message 1 B gradient 1 B
  crosspipe.stage device 3 forward 1.5e-5 ms dgrad 0.0001 ms wgrad 9999999999999998 ms activation 1 B message 0 B gradient 1 B
}

crosspipe.pipeline @small on @net microbatches 1 placement unidirectional memory [1 B, 1 B, 1 B, 1 B] relative_to_1f1b 1.0e-9 {
  crosspipe.stage device 0 forward 1 ms backward 1 ms activation 0 B message 0 B gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 1 ms activation 0 B message 0 B gradient 0 B
  crosspipe.stage device 2 forward 1 ms backward 1 ms activation 0 B message 0 B gradient 0 B
  crosspipe.stage device 3 forward 1 ms backward 1 ms activation 0 B message 0 B gradient 0 B
}

crosspipe.schedule @s for @step algorithm "manual" attributes {makespan = #crosspipe.time<1.0e20 s>, lower_bound = #crosspipe.time<123456789.125 ms>, gap = 1.0e15 : f64, note_bw = #crosspipe.bandwidth<1.0e-9 Tbps>, note_bytes = #crosspipe.bytes<1.0e15 KiB>} {
  crosspipe.program device 0 attributes {peak_memory = #crosspipe.bytes<1.0e6 TiB>} {
    crosspipe.compute F chunk 0 mb 2147483646 part 2147483646 of 2147483647 [75000 ms, 1.0e5 ms]
    crosspipe.compute D chunk 0 mb 0 [1.0e5 s, 1.0e6 s]
    crosspipe.compute W chunk 0 mb 0 [123456789.125 ms, 1.0e15 ms]
    crosspipe.compute F chunk 0 mb 1 [1.0e-9 us, 1.0e-9 ms]
    crosspipe.compute F chunk 0 mb 1 [-1.0e-9 ms, 0.0 ms]
  }
  crosspipe.transfer act chunk 0 mb 0 from 0 to 1 [1.0e15 ms, 1.0e16 ms] arrives 1.0e300 ms
}
