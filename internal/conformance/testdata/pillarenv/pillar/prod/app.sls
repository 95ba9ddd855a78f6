role: prod
