{#- elb: one classic load balancer, Salt's boto_elb.present arguments. #}
{%- set elb = salt['pillar.get']('elb', {}) %}
{%- if elb %}
aws-elb-{{ elb.name }}:
  boto_elb.present:
    - name: {{ elb.name }}
    - listeners: {{ elb.listeners | json }}
{%- for k in ['subnets', 'subnet_names', 'availability_zones', 'security_groups', 'scheme', 'health_check', 'attributes', 'tags'] %}
{%- if k in elb %}
    - {{ k }}: {{ elb[k] | json }}
{%- endif %}
{%- endfor %}
    - require:
      - sls: aws.secgroups
{%- endif %}
