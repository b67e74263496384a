"""Component resources: one package per kind, one module per provider inside it."""
