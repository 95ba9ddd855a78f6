# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .users
  - .file
  - .environ
  - .alternatives
