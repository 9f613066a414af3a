crosspipe.cluster @net {
  crosspipe.datacenter @east devices 9223372036854775807
}
