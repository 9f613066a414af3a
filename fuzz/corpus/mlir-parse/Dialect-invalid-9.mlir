crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1 memory 0.5 B
}
