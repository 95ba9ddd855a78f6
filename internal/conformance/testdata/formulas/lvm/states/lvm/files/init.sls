## Automate tasks in logical sequence ...

include:
  - .remove
  - .create
