
include:
  - .create
  - .remove
