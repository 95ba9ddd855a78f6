# Brine's own case: scalar types as Salt's YAML loader reads them.
a:
  test.nop:
    - threshold: 70.0
    - count: 42
    - neg: -7
    - big: 12345678901234
    - mode: 0755
    - mode_str: '0755'
    - octal_like: 0644
    - yes_word: yes
    - off_word: Off
    - none_tilde: ~
    - none_word: null
    - empty:
    - sexagesimal: 1:30
    - exp: 1e5
    - hex: 0x1F
    - date: 2001-12-14
    - quoted_true: 'true'
    - jinja_float: {{ 70.0 }}
    - jinja_div: {{ 7 / 2 }}
    - jinja_int: {{ 7 // 2 }}
    - jinja_none: {{ None }}
    - jinja_bool: {{ 1 == 1 }}
    - jinja_list: {{ [1, 2.5, 'x', None, True] }}
    - jinja_dict: {{ {'k': 1.0} }}
