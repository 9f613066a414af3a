crosspipe.cluster @net {
  crosspipe.datacenter @east devices 0
}
