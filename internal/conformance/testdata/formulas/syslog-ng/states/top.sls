base:
  '*':
    - syslog_ng
