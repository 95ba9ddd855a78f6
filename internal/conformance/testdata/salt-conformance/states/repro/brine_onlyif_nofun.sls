# An onlyif/unless entry that is a mapping without fun (kubernetes-formula
# passes its repo settings there): Salt compiles it as given and, when
# checking, stops at it ("no `fun` argument in onlyif").
repo:
  test.nop:
    - onlyif:
      - humanname: kubernetes
        enabled: 1
    - unless:
      - "false"
      - name: x
