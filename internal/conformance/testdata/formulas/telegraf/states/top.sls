base:
  '*':
    - telegraf
