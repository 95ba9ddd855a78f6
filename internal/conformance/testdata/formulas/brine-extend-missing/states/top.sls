base:
  '*':
    - ext
