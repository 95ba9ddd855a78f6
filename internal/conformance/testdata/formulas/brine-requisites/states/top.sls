base:
  '*':
    - req
