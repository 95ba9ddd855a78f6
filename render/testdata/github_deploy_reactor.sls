{# seed 003: the GitHub webhook reactor. The blog's version is #!py, which
   Brine cannot run; this is the same reactor in jinja|yaml: check the
   HMAC signature, then deploy to the minions whose role is the last part
   of the hook URL. #}
{% set _, signature = data['headers'].get('X-Hub-Signature').split('=') %}
{% set target = tag.split('/')[-1] %}
{% set key = opts.get('github', {}).get('webhook-key') %}
{% if salt['hashutil.github_signature'](data['body'], key, data['headers'].get('X-Hub-Signature')) %}
github_webhook_deploy:
  local.state.sls:
    - tgt: 'roles:{{ target }}'
    - expr_form: grain
    - arg:
      - {{ target }}.deploy
      - prod
    - kwarg:
        pillar:
          signature: {{ signature }}
{% endif %}
