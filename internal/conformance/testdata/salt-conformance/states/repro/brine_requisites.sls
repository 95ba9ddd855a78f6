# Brine's own case: requisite forms, names, order and the _in forms as show_low_sls keeps them.
first:
  test.nop:
    - order: first
last:
  test.nop:
    - order: last
svc:
  test.nop:
    - listen:
      - test: conf
    - require:
      - conf
conf:
  test.nop:
    - listen_in:
      - test: svc
    - prereq:
      - test: pkg
pkg:
  test.nop:
    - names:
      - one
      - two:
        - extra: 1
      - three
    - use:
      - test: first
multi:
  test.nop:
    - name: not-the-id
    - onchanges_in:
      - test: last
    - watch:
      - sls: repro.brine_types
    - order: 5
