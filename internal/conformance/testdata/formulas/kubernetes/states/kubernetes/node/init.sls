# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .archive.install
  - .package.install
  - .config
  - .alternatives
