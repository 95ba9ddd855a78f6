base:
  '*':
    - varnish
