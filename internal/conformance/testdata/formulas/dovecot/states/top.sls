base:
  '*':
    - dovecot
