{#- autoscale:groups: Salt's boto_asg.present arguments per group (the
    seed's vpc_zone_identifiers is vpc_zone_identifier); autoscale:
    scaling_policies go to the group their as_name names. #}
{%- set autoscale = salt['pillar.get']('autoscale', {}) %}
{%- for g in autoscale.get('groups', []) %}
aws-asg-{{ g.name }}:
  boto_asg.present:
    - name: {{ g.name }}
{%- for k in ['launch_config_name', 'launch_config', 'min_size', 'max_size', 'desired_capacity', 'default_cooldown',
              'availability_zones', 'subnet_names', 'load_balancers', 'health_check_type', 'health_check_period',
              'tags', 'termination_policies', 'notification_arn', 'notification_types', 'lifecycle_hooks'] %}
{%- if k in g %}
    - {{ k }}: {{ g[k] | json }}
{%- endif %}
{%- endfor %}
{%- if 'vpc_zone_identifiers' in g %}
    - vpc_zone_identifier: {{ g.vpc_zone_identifiers | json }}
{%- endif %}
    - scaling_policies: {{ autoscale.get('scaling_policies', []) | selectattr('as_name', 'equalto', g.name) | list | json }}
    - require:
      - sls: aws.elb

{% endfor %}
{%- for name in autoscale.get('groups_absent', []) %}
aws-asg-absent-{{ name }}:
  boto_asg.absent:
    - name: {{ name }}
    - force: True
    - remove_lc: True

{% endfor %}
