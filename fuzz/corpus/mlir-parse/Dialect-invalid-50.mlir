crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1 memory 8388608 TiB
}
