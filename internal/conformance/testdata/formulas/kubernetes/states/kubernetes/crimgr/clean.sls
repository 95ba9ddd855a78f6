# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .archive.clean
  - .alternatives.clean
