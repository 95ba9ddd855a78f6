probe:
  nested:
    zeta: 1
    alpha: 2
    mid: 3
