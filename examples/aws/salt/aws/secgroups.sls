{#- security_groups: Salt's boto_secgroup.present arguments per group; a
    rule's cidr_ip may name another group, even one defined later. #}
{%- for sg in salt['pillar.get']('security_groups', []) %}
aws-secgroup-{{ sg.name }}:
  boto_secgroup.present:
    - name: {{ sg.name }}
    - description: {{ sg.description | json }}
{%- for k in ['vpc_id', 'vpc_name', 'rules', 'rules_egress', 'tags'] %}
{%- if k in sg %}
    - {{ k }}: {{ sg[k] | json }}
{%- endif %}
{%- endfor %}
    - require:
      - sls: aws.network

{% endfor %}
{%- for sg in salt['pillar.get']('security_groups_absent', []) %}
aws-secgroup-absent-{{ sg.name }}:
  boto_secgroup.absent:
    - name: {{ sg.name }}
{%- for k in ['vpc_id', 'vpc_name'] %}
{%- if k in sg %}
    - {{ k }}: {{ sg[k] | json }}
{%- endif %}
{%- endfor %}

{% endfor %}
