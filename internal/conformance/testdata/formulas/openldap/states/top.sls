base:
  '*':
    - openldap
