# An argument mapping with several keys: Salt keeps each of them (the
# "- context:" line followed by a key at the same indent is
# {context: None, cfg: {...}}), and refuses it only when the first key
# is require/watch/prereq/onchanges.
multikey:
  file.managed:
    - name: /tmp/multikey
    - context:
      cfg:
        a: 1
        b: [x, y]
    - mode: 644
      user: root
    - require:
      - test: other
other:
  test.nop
