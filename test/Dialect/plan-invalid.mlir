// RUN: crosspipe-opt %s --split-input-file --verify-diagnostics

// What the plan ops reject on their own, before any whole-plan proof: slots,
// streams, block kinds against their buffers, buffer references, and waits
// across devices.

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{expects at least one slot, got 0}}
  crosspipe.buffer @b device 0 act chunk 0 slots 0 size 1 MiB
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{holds a parameter gradient and needs exactly one slot, got 2}}
  crosspipe.buffer @g device 0 param_grad chunk 0 slots 2 size 1 MiB
}

// -----

// Activations leave on the stream towards the next chunk.
crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @a device 0 act chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{carries act and must run on send_next, not send_prev}}
  %0 = crosspipe.send act chunk 0 mb 0 from 0 to 1 on send_prev buffer @a[0]
}

// -----

crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @g device 1 grad chunk 1 slots 1 size 1 MiB
  // expected-error @+1 {{carries grad and must run on recv_next, not recv_prev}}
  %0 = crosspipe.recv grad chunk 1 mb 0 from 0 to 1 on recv_prev buffer @g[0]
}

// -----

crosspipe.plan @p for @s devices 2 {
  crosspipe.buffer @a device 1 act chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{moves data from device 1 to itself; same-device hand-offs share a buffer instead}}
  %0 = crosspipe.recv act chunk 0 mb 0 from 1 to 1 on recv_prev buffer @a[0]
}

// -----

crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @a device 0 act chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{is a weight-gradient block, which neither receives nor sends}}
  %0 = crosspipe.exec W chunk 0 mb 0 device 0 out @a[0]
}

// -----

crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @g device 0 param_grad chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{writes no parameter gradient; only W and B take 'grads'}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 grads @g
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{expects 0 <= part < parts, got part 2 of 2}}
  %0 = crosspipe.exec F chunk 0 mb 0 part 2 of 2 device 0
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{ends before it starts}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 [2 ms, 1 ms]
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{'out' names @nope, which is not a crosspipe.buffer of the plan}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @nope[0]
}

// -----

crosspipe.plan @p for @s devices 2 {
  // expected-note @+1 {{buffer declared here}}
  crosspipe.buffer @a device 1 act chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{'out' buffer @a is on device 1, not on device 0}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @a[0]
}

// -----

// F writes the activation of its own chunk, not a gradient.
crosspipe.plan @p for @s devices 1 {
  // expected-note @+1 {{buffer declared here}}
  crosspipe.buffer @g device 0 grad chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{'out' buffer @g holds grad of chunk 0, expected act of chunk 0}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 out @g[0]
}

// -----

// D of chunk 1 reads the gradient chunk 2 sent back, which is named by the
// lower chunk of its boundary: grad of chunk 1.
crosspipe.plan @p for @s devices 1 {
  // expected-note @+1 {{buffer declared here}}
  crosspipe.buffer @g device 0 grad chunk 2 slots 1 size 1 MiB
  // expected-error @+1 {{'in' buffer @g holds grad of chunk 2, expected grad of chunk 1}}
  %0 = crosspipe.exec D chunk 1 mb 0 device 0 in @g[0]
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-note @+1 {{buffer declared here}}
  crosspipe.buffer @s0 device 0 stash chunk 0 slots 2 size 1 MiB
  // expected-error @+1 {{'stash' buffer @s0 has 2 slots; slot 2 is out of range}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 stash @s0[2]
}

// -----

crosspipe.plan @p for @s devices 2 {
  // expected-error @+1 {{names device 2 but the plan has 2 devices}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 2
}

// -----

// Devices are separate processes under NCCL: no event crosses them.
crosspipe.plan @p for @s devices 2 {
  // expected-note @+1 {{event recorded here}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0
  // expected-error @+1 {{on device 1 waits on an event of device 0; devices synchronize only through sends and receives}}
  %1 = crosspipe.exec F chunk 1 mb 0 device 1 after(%0)
}

// -----

crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
crosspipe.pipeline @pipe on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
// expected-error @+1 {{'@nope' does not reference a crosspipe.schedule}}
crosspipe.plan @p for @nope devices 1 {
}

// -----

// Counts and indices are at most 2^31 - 1: the model holds them in `int`.
// expected-error @+1 {{expects 'devices' to be at most 2147483647, got 4294967296}}
crosspipe.plan @p for @s devices 4294967296 {
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{expects 'slots' to be at most 2147483647, got 2147483648}}
  crosspipe.buffer @b device 0 act chunk 0 slots 2147483648 size 1 MiB
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{byte size out of range (0 to 9223372036854775807 B)}}
  crosspipe.buffer @b device 0 act chunk 0 slots 1 size 9223372036854775808 B
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{expects 'parts' to be at most 2147483647, got 2147483648}}
  %0 = crosspipe.exec F chunk 0 mb 0 part 0 of 2147483648 device 0
}

// -----

crosspipe.plan @p for @s devices 1 {
  crosspipe.buffer @b device 0 stash chunk 0 slots 1 size 1 MiB
  // expected-error @+1 {{expects 'stash_slot' to be at most 2147483647, got 4294967296}}
  %0 = crosspipe.exec F chunk 0 mb 0 device 0 stash @b[4294967296]
}

// -----

crosspipe.plan @p for @s devices 2 {
  // expected-error @+1 {{expects 'dst' to be at most 2147483647, got 9223372036854775807}}
  %0 = crosspipe.send act chunk 0 mb 0 from 0 to 9223372036854775807 on send_next buffer @b[0]
}

// -----

crosspipe.plan @p for @s devices 1 {
  // expected-error @+1 {{expects 'device' to be at most 2147483647, got 2147483648}}
  %0 = crosspipe.dp_allreduce chunk 0 device 2147483648 buffer @g
}

// -----

// A plan runs on (part of) its schedule's cluster.
// expected-note @+1 {{cluster defined here}}
crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
}
crosspipe.pipeline @pipe on @net microbatches 1 placement unidirectional {
  crosspipe.stage device 0 forward 1 ms backward 2 ms activation 1 MiB message 0 B gradient 0 B
}
crosspipe.schedule @s for @pipe algorithm "manual" {
}
// expected-error @+1 {{runs on 2147483647 devices, but cluster @net has only 1}}
crosspipe.plan @p for @s devices 2147483647 {
}
