"""The audit rules, one module per error class, listed in order in `rules.registry`."""
