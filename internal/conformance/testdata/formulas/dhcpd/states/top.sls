base:
  '*':
    - dhcpd
