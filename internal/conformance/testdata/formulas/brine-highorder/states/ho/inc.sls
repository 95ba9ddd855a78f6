target:
  test.nop:
    - require:
      - test: other

other:
  test.nop:
    - require_in:
      - test: target
