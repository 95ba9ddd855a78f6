base:
  '*':
    - unbound
