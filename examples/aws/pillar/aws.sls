# Seed 000's pillar (security_groups, elb, autoscale, cloudwatch), as the
# write-up gives it, with two changes so that the example builds its own
# network: the VPC and subnets are named (aws_network) instead of the
# seed's vpc-1234567 and subnet-<id> placeholders, so security groups say
# vpc_name and the load balancer and group subnet_names. With existing
# ids, write vpc_id, subnets and vpc_zone_identifiers as the seed does.
# Account numbers and the certificate are placeholders.

aws_network:
  vpc_name: app-vpc
  cidr_block: 10.20.0.0/16
  subnets:
    - name: app-subnet-1
      cidr_block: 10.20.1.0/24
    - name: app-subnet-2
      cidr_block: 10.20.2.0/24
    - name: app-subnet-3
      cidr_block: 10.20.3.0/24

security_groups:
  - name: webhost
    description: Web server security group
    vpc_name: app-vpc
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
    vpc_name: app-vpc
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
      certificate: 'arn:aws:iam::123456789012:server-certificate/my-certificate'
      elb_protocol: HTTPS
      instance_protocol: HTTPS
    - elb_port: 80
      instance_port: 80
      elb_protocol: HTTP
      instance_protocol: HTTP
  subnet_names:
    - app-subnet-1
    - app-subnet-2
    - app-subnet-3
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
      subnet_names:
        - app-subnet-1
        - app-subnet-2
        - app-subnet-3
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
          - arn:aws:sns:us-east-1:123456789012:alert_salt_web_scale_up
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
          - arn:aws:sns:us-east-1:123456789012:alert_salt_php_scale_down
          - scaling_policy:app-hosts:webhost_scale_down
        insufficient_data_actions: []
        ok_actions: []
        dimensions:
          AutoScalingGroupName:
            - app-hosts
