role: base
