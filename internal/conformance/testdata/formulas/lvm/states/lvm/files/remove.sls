
include:
  - .clean
