crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2
  builtin.module {}
}
