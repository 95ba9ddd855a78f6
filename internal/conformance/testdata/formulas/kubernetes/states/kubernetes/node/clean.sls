# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .config.clean
  - .package.clean
  - .archive.clean
  - .alternatives.clean
