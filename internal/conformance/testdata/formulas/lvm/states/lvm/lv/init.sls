## Automate tasks in logical sequence ...

include:
  - .remove
  - .change
  - .reduce
  - .extend
  - .rename
  - .create
  - .convert   {# necessary for thinpools #}
  - .create    {# 2nd create invocation necessary for thin volumes #}
