crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1 memory -1 KiB
}
