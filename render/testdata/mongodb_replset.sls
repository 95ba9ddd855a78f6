{# seed 003: the replica set configuration from the mine. The blog's
   excerpt stops after the loop (no endif, nothing uses the data); the
   endif and the state using replset_config are added. As the blog's
   author found out, every member gets _id 0: a set inside a loop does not
   leak out of it (Jinja scoping). #}
{% if 'mongo_primary' in grains['roles'] %}
{% set replset_config = {'_id': salt['pillar.get']('mongodb:replica_set:name', 'repset0'), 'members': []} %}
{% set member_id = 0 %}
{% for id, addrs in salt['mine.get']('roles:mongodb_server', 'network.get_hostname', expr_form='grain').items() %}
{% do replset_config['members'].append({'_id': member_id, 'host': id}) %}
{% set member_id = member_id + 1 %}
{% endfor %}
mongodb-replica-set-init:
  cmd.run:
    - name: |
        mongo --quiet --eval 'rs.initiate({{ replset_config|json }})'
    - unless: mongo --quiet --eval 'rs.status().ok' | grep -q 1
    - members: {{ replset_config.members|length }}
{% endif %}
