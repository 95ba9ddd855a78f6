{# seeds 001/002: the EC2 autoscale reactor. The original is #!py (with an
   SNS signature check Brine does in its API hook); this port builds the
   same reactions: cloud.create on launch, key delete on termination. #}
{% set sns = data['post'] %}
{% set message = sns['Message']|load_json %}
{% set instance_id = message['EC2InstanceId']|string %}
{% set subject = sns.get('Subject', '')|lower %}
{% if 'launch' in subject %}
{% set vm_ = opts.get('ec2.autoscale', {}).get(tag.split('/')[-2]) %}
{% do vm_.update({'reactor': True, 'instances': instance_id, 'instance_id': instance_id}) %}
ec2_autoscale_launch:
  runner.cloud.create:
{%- for key, value in vm_.items() if not key.startswith('__') %}
    - {{ key }}: {{ value|json }}
{%- endfor %}
{% elif 'termination' in subject %}
ec2_autoscale_termination:
  wheel.key.delete:
    - match: {{ instance_id }}
{% endif %}
