# Salt's high data has an SLS' own IDs before those of its includes
# (while the auto order puts included states first): its requisite_in
# walks them in that order, so 'first' (here) extends 'target' (in
# ho.inc) before 'other' does, and 'last' (in ho.inc2) after both.
include:
  - .inc
  - .inc2

first:
  test.nop:
    - require_in:
      - test: target
