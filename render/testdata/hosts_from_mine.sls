{# seed 003: /etc/hosts entries from the mine ("poor man's DNS") #}
{% for id, addr_list in salt['mine.get']('env:{0}'.format(grains['env']), 'network.ip_addrs', expr_form='grain').items() %}
{% if id == grains['id'] %}
self-host-entry:
  host.present:
    - ip: 127.0.0.1
    - names:
        - {{ id }}
{% else %}
{{ id }}-host-entry:
  host.present:
    - ip: {{ addr_list|first() }}
    - names:
        - {{ id }}
{% endif %}
{% endfor %}
