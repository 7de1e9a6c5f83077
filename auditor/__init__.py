"""fba-auditor: find the money Amazon owes an FBA seller, with the evidence to claim it."""

__version__ = "0.1.0"
