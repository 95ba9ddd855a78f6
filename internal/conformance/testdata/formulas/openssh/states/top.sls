base:
  '*':
    - openssh
    - openssh.config
