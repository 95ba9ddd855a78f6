# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .k3s.clean
  - .node.clean
  - .server.clean
  - .client.clean
  - .operators.clean
  - .operator.clean
  - .devtools.clean
  - .devlibs.clean
  - .sigs.clean
  - .crimgr.clean
