# Seed 000's application tier, built from pillar in dependency order:
# network, security groups, load balancer, autoscaling group (with its
# launch configuration and scaling policies), CloudWatch alarms.
include:
  - aws.network
  - aws.secgroups
  - aws.elb
  - aws.autoscale
  - aws.cloudwatch
