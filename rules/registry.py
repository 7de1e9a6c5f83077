"""The ordered list of rules. Explicit, not discovered: a rule exists when it is listed here."""

RULES: list = []
