base:
  '*':
    - influxdb
