"""health.kind json: a run-history API read through the JMESPath expressions of the health block."""
