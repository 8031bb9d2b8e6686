"""textvision.east: EAST targets, loss, decoding and training."""
