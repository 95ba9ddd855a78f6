base:
  '*':
    - libvirt
