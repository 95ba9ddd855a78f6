# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .config.clean
  - .script.clean
  - .alternatives.clean
  - .binary.clean
