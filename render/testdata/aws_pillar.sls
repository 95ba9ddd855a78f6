{# seed 001: the data-driven AWS pillar (security groups, ELB, autoscale,
   cloudwatch) #}
security_groups:
  - name: webhost
    description: Web server security group
    vpc_id: vpc-1234567
    rules:
      - ip_protocol: tcp
        from_port: 80
        to_port: 80
        cidr_ip:
          - 0.0.0.0/0
      - ip_protocol: tcp
        from_port: 443
        to_port: 443
        cidr_ip:
          - 0.0.0.0/0
      - ip_protocol: tcp
        from_port: 22
        to_port: 22
        cidr_ip: default
  - name: mongodb
    description: MongoDB Security Group
    vpc_id: vpc-1234567
    rules:
      - ip_protocol: tcp
        from_port: 27017
        to_port: 27017
        cidr_ip: webhost
      - ip_protocol: tcp
        from_port: 22
        to_port: 22
        cidr_ip: default
elb:
  name: MY-ELB
  listeners:
    - elb_port: 443
      instance_port: 443
      certificate: 'arn:aws:iam::<your_account_number>:server-certificate/<your_certificate_name>'
      elb_protocol: HTTPS
      instance_protocol: HTTPS
    - elb_port: 80
      instance_port: 80
      elb_protocol: HTTP
      instance_protocol: HTTP
  subnets:
    - subnet-<vpc_subnet1>
    - subnet-<vpc_subnet2>
    - subnet-<vpc_subnet3>
  health_check:
    target: 'HTTPS:443/check.html'
  attributes:
    cross_zone_load_balancing:
      enabled: True
  security_groups:
    - default
    - webhost
autoscale:
  groups:
    - name: app-hosts
      desired_capacity: 2
      max_size: 10
      min_size: 2
      default_cooldown: 1500
      vpc_zone_identifiers:
        - subnet-<vpc_subnet1>
        - subnet-<vpc_subnet2>
        - subnet-<vpc_subnet3>
      load_balancers:
        - MY-ELB
      launch_config_name: webhost
      launch_config:
        - image_id: ami-1234567
        - key_name: salt_master
        - instance_type: t2.small
        - security_groups:
          - webhost
          - default
        - region: us-east-1
      scaling_policies:
        - name: webhost_scale_up
          adjustment_type: ChangeInCapacity
          as_name: app-hosts
          scaling_adjustment: 1
        - name: webhost_scale_down
          adjustment_type: ChangeInCapacity
          as_name: app-hosts
          scaling_adjustment: -1
cloudwatch:
  alarms:
    - name: webhost_cpu_scale_up
      attributes:
        metric: CPUUtilization
        namespace: 'AWS/EC2'
        statistic: Average
        comparison: ">="
        threshold: 70.0
        period: 60
        evaluation_periods: 5
        description: 'Web hosts scale up alarm'
        alarm_actions:
          - arn:aws:sns:us-east-1:<account_id>:alert_salt_web_scale_up:<UUID for sns event>
          - scaling_policy:app-hosts:webhost_scale_up
        insufficient_data_actions: []
        ok_actions: []
      dimensions:
        AutoScalingGroupName:
          - app-hosts
    - name: php_cpu_scale_down
      attributes:
        metric: CPUUtilization
        namespace: 'AWS/EC2'
        statistic: Average
        comparison: "<="
        threshold: 40.0
        period: 60
        evaluation_periods: 5
        description: 'PHP hosts scale down alarm'
        alarm_actions:
          - arn:aws:sns:us-east-1:<account_id>:alert_salt_php_scale_down:<UUID for sns event>
          - scaling_policy:app-hosts:webhost_scale_down
        insufficient_data_actions: []
        ok_actions: []
      dimensions:
        AutoScalingGroupName:
          - app-hosts
