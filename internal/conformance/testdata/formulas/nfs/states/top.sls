base:
  '*':
    - nfs.server
    - nfs.client
    - nfs.mount
