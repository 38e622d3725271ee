"""Where the project runs beyond one machine: the launcher of its containers, the cluster manifests."""
