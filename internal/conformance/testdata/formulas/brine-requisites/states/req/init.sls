# Brine's own case: the _in requisites, use/use_in, prereq, extend and
# exclude as state.show_lowstate applies them.
include:
  - req.other
  - .dropped

extend:
  other_state:
    test:
      - require:
        - test: base_state
      - extra_arg: from-extend

exclude:
  - sls: req.dropped

base_state:
  test.nop:
    - require_in:
      - test: other_state
      - sls: req.other
    - watch_in:
      - test: named-thing
    - some_arg: 1
    - another: two

user_state:
  test.nop:
    - use:
      - test: base_state
    - another: mine

giver:
  test.nop:
    - use_in:
      - test: user_state
    - given: yes

pre:
  test.nop:
    - prereq:
      - test: other_state
    - prereq_in:
      - test: user_state

by_dict:
  test.nop:
    - require_in:
        test: base_state
