base:
  '*':
    - samba
