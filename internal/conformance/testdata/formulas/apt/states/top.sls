base:
  '*':
    - apt.apt_conf
    - apt.repositories
    - apt.preferences
    - apt.unattended
    - apt.listchanges
    - apt.transports
