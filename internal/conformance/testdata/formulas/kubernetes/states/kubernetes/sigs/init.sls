# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .archive
  - .binary
  - .alternatives
