base:
  '*':
    - kubernetes
