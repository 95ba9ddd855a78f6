## Automate tasks in logical sequence ...

include:
  - .remove
  - .change
  - .resize
  - .move
  - .create
