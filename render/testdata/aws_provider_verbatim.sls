aws_provider:
  minion:
    master: {{ salt_master_domain }}
  ssh_interface: private_ips # Master is hosted in same VPS. Otherwise public_ips
  ssh_username:
    - ubuntu
    - ec2-user
    - root
  keyname: salt_master
  private_key: /etc/salt/keys/salt_master
  delete_sshkeys: True
  id: {{ aws:key }}
  key: {{ aws:secret_key }}
  {% if aws_region -%}
  region: {{ aws_region }}
  {% endif -%}
  provider: ec2
  rename_on_destroy: True
