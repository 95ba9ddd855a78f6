other_state:
  test.nop:
    - name: named-thing
    - names:
      - a
      - b
second:
  test.succeed_without_changes: []
