"""What a rule is: its code, the error it flags, the reports it needs, its claim-line query and
the sentence a seller pastes into a case. The module docstring is the rule's documentation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

DOC_SECTIONS = (
    "What it detects",
    "Reports needed",
    "How it matches",
    "What is claimed and how it is valued",
    "Window",
    "Example",
)


@dataclass(frozen=True)
class Rule:
    code: str  # R01..R10, never reused
    slug: str  # e.g. inventory.warehouse_lost_damaged
    title: str
    needs: tuple[tuple[str, ...], ...]  # each group: at least one of these reports loaded
    query: Callable[[dict], str]  # SQL returning claim lines (auditor.findings)
    summarize: Callable[[dict], str]  # one sentence for a finding
    doc: str

    def missing(self, loaded: set[str]) -> list[str]:
        """The report groups this rule needs that are not loaded, e.g. ['ledger or adjustments']."""
        return [" or ".join(group) for group in self.needs if not set(group) & loaded]


def evidence(report: str, alias: str = "") -> str:
    """SQL for a one-element evidence list citing the current row of `report`."""
    prefix = f"{alias}." if alias else ""
    return f"[{{'report': '{report}', 'file_id': {prefix}_file_id, 'line': {prefix}_line}}]"


def money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return "an amount still to be valued"
    sign = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "CA$", "JPY": "¥"}.get(currency or "", "")
    return f"{sign}{value:,.2f}" if sign else f"{value:,.2f} {currency or ''}".strip()


def ids(values: list[str] | None, most: int = 8) -> str:
    values = [v for v in (values or []) if v]
    shown = ", ".join(values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def units(n) -> str:
    return f"{n} unit" + ("" if n == 1 else "s")
