# cp.list_states, filtered to this case (apache-formula's clean states
# list them to find the modules they may disable).
{%- set states = salt['cp.list_states']() %}
list-states:
  test.nop:
    - mine: {{ states | select('match', 'repro[.]brine_cp') | list | json }}
    - top: {{ 'top' in states }}
    - init: {{ states | select('match', '.*init') | list | json }}
