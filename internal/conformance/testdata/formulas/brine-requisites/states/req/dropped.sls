dropped_state:
  test.nop: []
