crosspipe.cluster @net {
  crosspipe.datacenter @east devices 1
  crosspipe.datacenter @east devices 1
}
