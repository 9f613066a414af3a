crosspipe.cluster @net {
  crosspipe.datacenter @east devices 2147483647
  crosspipe.datacenter @west devices 1
}
