# -*- coding: utf-8 -*-
# vim: ft=sls

## Automate tasks in logical sequence ...

include:
    - lvm.install
    - lvm.profiles
    - lvm.files
    - lvm.pv
    - lvm.vg
    - lvm.lv
