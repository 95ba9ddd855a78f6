# -*- coding: utf-8 -*-
# vim: ft=yaml
---
mongodb:
  wanted:
    # choose what you want
    database:
      - mongod
      - mongos
      # dbtools
      # shell
    gui:
      - robo3t
         {%- if grains.kernel|lower == 'darwin' %}
      - compass    # mongodb compass upstream rpm/deb packages has gui dependencies
         {%- endif %}
    connectors:
      # bi   # enterprise subscription only
      - kafka

  pkg:
    deps:
      - python-pip

    database:
      dbtools:
        version: 100.0.1
        archive:
          skip_verify: true
      shell:
        archive:
          skip_verify: true
      mongod:
        version: 4.2.6.1
        archive:
          skip_verify: true
        config:
          # http://docs.mongodb.org/manual/reference/configuration-options
          storage:
            dbPath: /var/lib/mongodb/mongod
          replication:
            replSetName: "rs1"
          sharding:
            clusterRole: shardsvr
          net:
            bindIp: {{ grains.ipv4[-1] or grains.ipv6[-1] or '0.0.0.0,::' }}
            port: 27018
        firewall:
          ports:
            - tcp/27017
            - tcp/27018
            - tcp/27019
      mongos:
        config:
          net:
            bindIp: '{{ grains.ipv4[-1] or grains.ipv6[-1] or '0.0.0.0' }}'
          sharding:
            configDB: 'rs1/{{ grains.ipv4[-1] or grains.ipv6[-1] }}:27018'
        firewall:
          ports:
            - tcp/9093
            # tcp/9094
    gui:
      compass:
        version: 1.21.2
        archive:
          skip_verify: true
      robo3t:
        version: 1.3.1
    connectors:
      bi:
        version: 2.13.4
        archive:
          skip_verify: true
        service:
          name: mongosqld
        firewall:
          ports: tcp/29017
      kafka:
        version: 1.1.0
        archive:
          skip_verify: true
      spark:
        name: mongo-spark
        version: 2.4.1
        archive:
          skip_verify: true

  # Just here for testing
  added_in_defaults: pillar_value
  winner: pillar

  linux:
    altpriority: 10000
