# -*- coding: utf-8 -*-
# vim: ft=yaml
---
syslog_ng:
  module:
    - tfson
  include:
    - scl.conf
  last_include:
    - /etc/syslog-ng/conf.d/*.conf
  version: 3.5
  options:
    - threaded: true
    - use_dns: false
    - use_fqdn: true
    - keep_hostname: true
    - chain_hostnames: false
    - check_hostname: false
  source:
    - s_internal:
        - internal: null
    - s_local:
        - unix-stream: /dev/log
        - file:
            - /proc/kmsg
            - program_override: kernel
  destination:
    - df_messages:
        - file:
            - /var/log/messages
    - df_secure:
        - file: /var/log/secure
    - df_console:
        - usertty: root
    - dp_devnull:
        - program: /bin/cat >/dev/null
    - dr_central:
        - syslog: my-remote.example.com
  filter:
    - f_messages:
        - level: =info..emerg
    - f_secure:
        - facility: =authpriv
    - f_emerg:
        - level: =emerg
        - facility: =uucp, news
  log:
    -
      - source: =s_internal
      - source: =s_local
      - destination: =dr_central
    -
      - source: =s_local
      - filter: =f_emerg
      - destination: =df_console
    -
      - source: =s_local
      - filter: =f_secure
      - destination: =df_secure
      - flags: =final
    -
      - source: =s_local
      - filter: =f_messages
      - destination: =df_messages

  tofs:
    # # The files_switch key serves as a selector for alternative
    # # directories under the formula files directory. See TOFS pattern
    # # doc for more info.
    # # Note: Any value not evaluated by `config.get` will be used literally.
    # # This can be used to set custom paths, as many levels deep as required.
    # files_switch:
    #   - any/path/can/be/used/here
    #   - id
    #   - roles
    #   - osfinger
    #   - os
    #   - os_family
    # # All aspects of path/file resolution are customisable using the options below.
    # # This is unnecessary in most cases; there are sensible defaults.
    # path_prefix: template_alt
    # dirs:
    #   files: files_alt
    #   default: default_alt
    # # The entries under `source_files` are prepended to the default source files
    # # given for the state
    source_files:
      syslog_ng/config/install:
        - 'alt_syslog-ng.conf'
