# extend of an ID no SLS declares (jenkins-formula's nginx.sls without
# nginx-formula): Salt's reconcile_extend error, word for word.
extend:
  nginx:
    service:
      - watch:
        - file: site

site:
  file.managed:
    - name: /tmp/site
