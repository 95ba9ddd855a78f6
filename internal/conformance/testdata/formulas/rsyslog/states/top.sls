base:
  '*':
    - rsyslog
