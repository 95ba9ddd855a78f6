include:
  - .inc

last:
  test.nop:
    - require_in:
      - test: target
