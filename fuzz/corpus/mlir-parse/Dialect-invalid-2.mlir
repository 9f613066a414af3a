crosspipe.cluster @net {
}
