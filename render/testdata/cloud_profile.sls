#!yaml
# seed 001: a salt-cloud profile (plain YAML)
mongodb-server:
  provider: aws_provider
  size: m3.medium
  image: ami-<some_id>
  ssh_interface: private_ips
  ssh_username: ubuntu
  block_device_mappings:
    - DeviceName: /dev/sda1
      Ebs.VolumeSize: 50
  subnetid: subnet-<some_id>
  grains:
    roles:
      - mongodb
      - mongodb-server
    env: prod
