{# seeds 001-003: master configuration snippets: Salt API behind a
   templated TLS certificate, reactors, autoscale profiles, SMTP #}
rest_cherrypy:
  port: 8000
  ssl_crt: /etc/pki/{{ tls_dir }}/certs/{{ common_name }}.crt
  ssl_key: /etc/pki/{{ tls_dir }}/certs/{{ common_name }}.key
  webhook_disable_auth: True
  webhook_url: /hook
reactor:
  - 'salt/netapi/hook/deploy/*':
      - /srv/lta/reactor/code-deploy.sls
  - 'salt/netapi/hook/autoscale/web/up':
      - /srv/lta/reactor/ec2-autoscale.sls
  - 'salt/netapi/hook/autoscale/web/down':
      - /srv/lta/reactor/ec2-autoscale.sls
  - 'salt/netapi/hook/ec2/autoscale':
    - '/srv/reactor/ec2-autoscale.sls'
ec2.autoscale:
  web:
    provider: aws_provider
    ssh_interface: private_ips
    ssh_username: ubuntu
    minion:
      startup_states: highstate
    grains:
      env: prod
      roles: web-host
smtp.from: 'salt-master@example.com'
smtp.to: admin1@example.com.com; admin2@example.com.com
smtp.host: smtp.gmail.com
smtp.username: 'salt-master@example.com'
smtp.password: 'verybadpass'
smtp.tls: True
smtp.subject: 'Salt'
mine_functions:
  network.ip_addrs: [eth0]
  network.get_hostname: []
