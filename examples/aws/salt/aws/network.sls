{#- The VPC and subnets the tier lives in (the seed assumes they exist;
    with aws_network in pillar the formula creates them). #}
{%- set net = salt['pillar.get']('aws_network', {}) %}
{%- if net %}
aws-vpc-{{ net.vpc_name }}:
  boto_vpc.present:
    - name: {{ net.vpc_name }}
    - cidr_block: {{ net.cidr_block }}
{%- for s in net.get('subnets', []) %}

aws-subnet-{{ s.name }}:
  boto_subnet.present:
    - name: {{ s.name }}
    - cidr_block: {{ s.cidr_block }}
    - vpc_name: {{ net.vpc_name }}
    - require:
      - boto_vpc: aws-vpc-{{ net.vpc_name }}
{%- endfor %}
{%- endif %}
