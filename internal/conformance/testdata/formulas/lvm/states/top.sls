base:
  '*':
    - lvm
