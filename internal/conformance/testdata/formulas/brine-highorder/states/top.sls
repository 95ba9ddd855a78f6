base:
  '*':
    - ho
