# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .script
  - .binary
  - .alternatives
  - .config
