a:
  test.nop:
    - role: {{ pillar.get('role', 'none') }}
    - pillarenv: {{ opts.pillarenv }}
