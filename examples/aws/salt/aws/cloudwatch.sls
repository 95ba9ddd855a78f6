{#- cloudwatch:alarms: name and attributes per alarm; an alarm action
    scaling_policy:<group>:<policy> is that policy's ARN. #}
{%- for alarm in salt['pillar.get']('cloudwatch:alarms', []) %}
aws-alarm-{{ alarm.name }}:
  boto_cloudwatch_alarm.present:
    - name: {{ alarm.name }}
    - attributes: {{ alarm.attributes | json }}
    - require:
      - sls: aws.autoscale

{% endfor %}
{%- for name in salt['pillar.get']('cloudwatch:alarms_absent', []) %}
aws-alarm-absent-{{ name }}:
  boto_cloudwatch_alarm.absent:
    - name: {{ name }}

{% endfor %}
