// RUN: crosspipe-opt %s --split-input-file --crosspipe-verify-plan --verify-diagnostics | FileCheck %s

// The whole-plan proof: programs, transfers, waits, slots, deadlock.
// Each case breaks one rule of a valid plan of two devices in two
// datacenters (one microbatch unless said otherwise, fused backward).

// A valid plan (what --crosspipe-execution-plan makes of this schedule)
// passes unchanged.
// CHECK-LABEL: crosspipe.plan @s_plan for @s devices 2 {
// CHECK:         crosspipe.exec B chunk 0 mb 0 device 0

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
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%0)
  %3 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %4 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %5 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%4)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%5)
}

// -----

// NCCL operations of different communicators must be issued in one order
// every device agrees with (with NCCL_LAUNCH_ORDER_IMPLICIT the GPU starts
// them in host order): posting each device's receive first makes device 0
// order the gradient before the activation and device 1 the reverse.

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
  // expected-error @+1 {{NCCL operations are issued in orders no single order agrees with (NCCL may hang): device 0 issues this before send act chunk 0 mb 0 to device 1}}
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  // expected-note @+1 {{device 0 issues this after recv grad chunk 0 mb 0 from device 1}}
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2)
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  // expected-note @+1 {{device 1 issues this after recv act chunk 0 mb 0 from device 0}}
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// The compute stream must run the device's program in its order.

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
    // expected-note @+1 {{scheduled block here}}
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
  // expected-error @+1 {{runs B chunk 0 mb 0 where device 0's program runs F chunk 0 mb 0}}
  %9 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2)
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
}

// -----

// A receive without its send.

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
  // expected-error @+1 {{has no matching crosspipe.send}}
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// No transfer at all for a cross-device dependency.

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
// expected-error @+1 {{misses the transfer of act chunk 0 mb 0 from device 0 to 1}}
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
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0]
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// The single-GPU emulation copies at the send into the receive's slot, so
// the receive must come first.

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
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  // expected-note @+1 {{send here}}
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2)
  // expected-error @+1 {{is posted after its send; a receive must precede its send in plan order}}
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// A block must wait for the receive of what it reads.

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
  // expected-note @+1 {{see recv act chunk 0 mb 0 from device 0}}
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2)
  // expected-error @+1 {{may start before recv act chunk 0 mb 0 from device 0 completes, but it reads what arrives}}
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0]
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// A send must wait for the block that writes what it sends.

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
  // expected-note @+1 {{see F chunk 0 mb 0}}
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  // expected-error @+1 {{may start before F chunk 0 mb 0 completes, but it sends its output}}
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0]
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// A block must read the slot its receive fills.

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
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 1 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  // expected-note @+1 {{receive here}}
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2)
  // expected-error @+1 {{reads a different slot than recv act chunk 0 mb 0 from device 0 fills}}
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[1] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}

// -----

// A cycle through two devices: the activation's send also waits for
// B chunk 0, which needs the gradient that exists only after the activation
// arrived. Every local check passes; the abstract run gets stuck, with a
// note per stuck stream (receive streams stuck on a partner that is not
// ready are listed too).

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
// expected-error @+1 {{deadlocks: no stream can make progress}}
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 2 MiB
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 2 MiB
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 1 size 1 MiB
  // expected-note @+1 {{device 0 stream recv_next is stuck at recv grad chunk 0 mb 0 from device 1, whose partner send grad chunk 0 mb 0 to device 0 is not ready}}
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  // expected-note @+1 {{device 1 stream recv_prev is stuck at recv act chunk 0 mb 0 from device 0, whose partner send act chunk 0 mb 0 to device 1 is not ready}}
  %1 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %2 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  // expected-note @+1 {{device 0 stream compute is stuck at B chunk 0 mb 0, waiting for recv grad chunk 0 mb 0 from device 1}}
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  // expected-note @+1 {{device 0 stream send_next is stuck at send act chunk 0 mb 0 to device 1, waiting for B chunk 0 mb 0}}
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2, %7)
  // expected-note @+1 {{device 1 stream compute is stuck at F chunk 1 mb 0, waiting for recv act chunk 0 mb 0 from device 0}}
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  // expected-note @+1 {{device 1 stream send_prev is stuck at send grad chunk 0 mb 0 to device 0, waiting for B chunk 1 mb 0}}
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
}

// -----

// Two microbatches from here on. Receives on one channel (one NCCL
// communicator) must come in the order of its sends, or the first receive
// waits for a message that is queued behind the one it blocks.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  // expected-error @+1 {{is the receive number 0 on the channel from device 0 to 1, but the send in that position is send act chunk 0 mb 0 to device 1; receives must match the order of their sends}}
  %3 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %4 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %5 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  // expected-note @+1 {{send here}}
  %6 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%4)
  %7 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%5)
  %8 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %9 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %10 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after(%3)
  %11 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%9)
  %12 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after(%11)
  %13 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%12)
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%1)
}

// -----

// A receive into a slot whose previous message may still be unread: the
// second activation is posted into slot 0 before F chunk 1 mb 0 has read
// the first one. In plan order the block reads after that second write, so
// the error says the block may read before the write it sees completes.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  // expected-note @+1 {{see recv act chunk 0 mb 1 from device 0}}
  %3 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %4 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %5 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  %6 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%4)
  %7 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%5)
  // expected-error @+1 {{may start before recv act chunk 0 mb 1 from device 0 completes, but both use @act0_d1[0]}}
  %8 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %9 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %10 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[0] stash @stash1[0] after(%3)
  %11 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%9)
  %12 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after(%11)
  %13 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%12)
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%1)
}

// -----

// A block that overwrites a send buffer before the send has read it.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %3 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1]
  %4 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %5 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  %6 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%4)
  %7 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%5)
  %8 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %9 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %10 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after(%3)
  // expected-note @+1 {{see send grad chunk 0 mb 0 to device 0}}
  %11 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%9)
  // expected-error @+1 {{may start before send grad chunk 0 mb 0 to device 0 completes, but both use @grad0_d1[0]}}
  %12 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %13 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%12)
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%1)
}

// -----

// With two data-parallel replicas every chunk's gradient is all-reduced.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
// expected-error @+1 {{never all-reduces the gradient of chunk 0}}
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %3 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1]
  %4 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %5 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  %6 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%4)
  %7 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%5)
  %8 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %9 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %10 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after(%3)
  %11 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%9)
  %12 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after(%11)
  %13 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%12)
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%1)
}

// -----

// An all-reduce must wait for the last block that writes the gradient.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %3 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1]
  %4 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %5 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  %6 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%4)
  %7 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%5)
  %8 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %9 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %10 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after(%3)
  %11 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%9)
  %12 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after(%11)
  %13 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%12)
  // expected-note @+1 {{see B chunk 0 mb 1}}
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%1)
  // expected-error @+1 {{may start before B chunk 0 mb 1 completes, but it reduces the gradient it writes}}
  %16 = crosspipe.dp_allreduce chunk 0 device 0 buffer @pgrad0 after(%13)
  %17 = crosspipe.dp_allreduce chunk 1 device 1 buffer @pgrad1 after(%12)
}

// -----

// The same, waiting for the right blocks, verifies.
// CHECK-LABEL: crosspipe.plan @s_plan
// CHECK:         crosspipe.dp_allreduce chunk 0 device 0 buffer @pgrad0
// CHECK:         crosspipe.dp_allreduce chunk 1 device 1 buffer @pgrad1

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional data_parallel 2 intra_dc {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %1 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%0)
  %4 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1]
  %5 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%1)
  %6 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %7 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %8 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after(%4)
  %9 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %10 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%7)
  %11 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after(%10)
  %12 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%9)
  %13 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%11)
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%13)
  %16 = crosspipe.dp_allreduce chunk 0 device 0 buffer @pgrad0 after(%15)
  %17 = crosspipe.dp_allreduce chunk 1 device 1 buffer @pgrad1 after(%11)
}

// -----

// One replica has nothing to reduce with.

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @west devices 1
  crosspipe.link @east -> @west latency 2 ms bandwidth 8.388608 Gbps
  crosspipe.link @west -> @east latency 2 ms bandwidth 8.388608 Gbps
}
crosspipe.pipeline @p on @net microbatches 2 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 1 MiB gradient 0 B
  crosspipe.stage device 1 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @p algorithm "1f1b" {
  crosspipe.program device 0 {
    crosspipe.compute F chunk 0 mb 0
    crosspipe.compute F chunk 0 mb 1
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
crosspipe.plan @s_plan for @s devices 2 {
  crosspipe.buffer @stash0 device 0 stash chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @pgrad0 device 0 param_grad chunk 0 slots 1 size 0 B
  crosspipe.buffer @stash1 device 1 stash chunk 1 slots 1 size 1 MiB
  crosspipe.buffer @pgrad1 device 1 param_grad chunk 1 slots 1 size 0 B
  crosspipe.buffer @act0_d0 device 0 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d1 device 1 grad chunk 0 slots 1 size 1 MiB
  crosspipe.buffer @act0_d1 device 1 act chunk 0 slots 2 size 1 MiB
  crosspipe.buffer @grad0_d0 device 0 grad chunk 0 slots 2 size 1 MiB
  %0 = crosspipe.recv grad chunk 0 mb 0 from 1 to 0 on recv_next buffer @grad0_d0[0]
  %1 = crosspipe.recv grad chunk 0 mb 1 from 1 to 0 on recv_next buffer @grad0_d0[1]
  %2 = crosspipe.recv act chunk 0 mb 0 from 0 to 1 on recv_prev buffer @act0_d1[0]
  %3 = crosspipe.recv act chunk 0 mb 1 from 0 to 1 on recv_prev buffer @act0_d1[1]
  %4 = crosspipe.exec F chunk 0 mb 0 device 0 out @act0_d0[0] stash @stash0[0]
  %5 = crosspipe.exec F chunk 0 mb 1 device 0 out @act0_d0[1] stash @stash0[1]
  %6 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%4)
  %7 = crosspipe.send act chunk 0 mb 1 from 0 to 1 on send_next buffer @act0_d0[1] after(%5)
  %8 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%2)
  %9 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %10 = crosspipe.exec F chunk 1 mb 1 device 1 in @act0_d1[1] stash @stash1[0] after(%3)
  %11 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%9)
  %12 = crosspipe.exec B chunk 1 mb 1 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1 after(%11)
  %13 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
  %14 = crosspipe.send grad chunk 0 mb 1 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%12)
  %15 = crosspipe.exec B chunk 0 mb 1 device 0 in @grad0_d0[1] stash @stash0[1] grads @pgrad0 after(%1)
  // expected-error @+1 {{reduces across data parallelism, but the pipeline has one replica}}
  %16 = crosspipe.dp_allreduce chunk 0 device 0 buffer @pgrad0 after(%15)
}

// -----

// Every device that holds a chunk has a program in the schedule: without
// one, nothing would check what the plan runs there (and the lowering
// would emit it).

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
}
// expected-error @+1 {{'crosspipe.plan' op has no program of device 1 in its schedule, but chunk 1 is placed on it}}
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
  %3 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_next buffer @act0_d0[0] after(%2)
  %4 = crosspipe.exec F chunk 1 mb 0 device 1 in @act0_d1[0] stash @stash1[0] after(%1)
  %5 = crosspipe.exec B chunk 1 mb 0 device 1 out @grad0_d1[0] stash @stash1[0] grads @pgrad1
  %6 = crosspipe.send grad chunk 0 mb 0 from 1 to 0 on send_prev buffer @grad0_d1[0] after(%5)
  %7 = crosspipe.exec B chunk 0 mb 0 device 0 in @grad0_d0[0] stash @stash0[0] grads @pgrad0 after(%0)
}
