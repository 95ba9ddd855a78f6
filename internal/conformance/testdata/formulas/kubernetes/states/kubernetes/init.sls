# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .client
  - .server
  - .node
  - .k3s
  - .operator
  - .operators
  - .devtools
  - .devlibs
  - .sigs
  - .crimgr
