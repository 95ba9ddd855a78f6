base:
  '*':
    - squid
