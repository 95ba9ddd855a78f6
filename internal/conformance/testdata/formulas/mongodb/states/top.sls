base:
  '*':
    - mongodb
