{# seed 004: migrate production data back to testing (orchestration) #}
{% set dev_db_servers = salt['pillar.get']('postgres:dev_db_servers', []) %}
{% set prod_db_servers = salt['pillar.get']('postgres:prod_db_servers', []) %}
# Find the dev master db for use later
{% set ns = namespace(dev_master=None) %}
{% for dev_master in dev_db_servers
    if salt.saltutil.cmd(dev_master, 'file.search',
        arg=['/var/run/keepalive.state', 'MASTER']).get(dev_master).get('ret') %}
{% if loop.first %}
{% set ns.dev_master = dev_master %}
{% endif %}
{% endfor %}
# Transfer Prod database
{% for prod_slave in prod_db_servers
    if salt.saltutil.cmd(prod_slave, 'file.search',
        arg=['/var/run/keepalive.state', 'BACKUP']).get(prod_slave).get('ret') %}
{% if loop.last %}
sync-prod-database-to-dev:
  salt.function:
    - name: cmd.run
    - arg:
      - >
        rsync --delete --password-file=/etc/rsyncd.password.dump
        /u02/prodplonedb_archives/ dump@{{ ns.dev_master }}::postgres_dumps
    - tgt: {{ prod_slave }}
{% endif %}
{% endfor %}
