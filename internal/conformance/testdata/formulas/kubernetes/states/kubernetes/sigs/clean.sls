# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .binary.clean
  - .archive.clean
  - .alternatives.clean
