# A state argument that is neither a function name nor a mapping (a
# boolean, a number, a list): Salt passes over it.
unmount:
  test.nop:
    - False
    - 3
    - [a, b]
    - device: x
