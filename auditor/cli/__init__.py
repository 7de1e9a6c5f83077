"""The `fba-audit` command. A thin layer: the work lives in importable functions."""

from auditor.cli import claims, fetching, fleet, loading, reference, running  # noqa: F401 (they register commands)
from auditor.cli.app import main

__all__ = ["main"]
