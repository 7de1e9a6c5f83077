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
    code: str  # R01, R02, ..., never reused
    slug: str  # e.g. inventory.warehouse_lost_damaged
    title: str
    needs: tuple[tuple[str, ...], ...]  # each group: at least one of these reports loaded
    query: Callable[[dict], str]  # SQL returning claim lines (auditor.findings)
    summarize: Callable[[dict], str]  # one sentence for a finding
    doc: str

    def missing(self, loaded: set[str]) -> list[str]:
        """The report groups this rule needs that are not loaded, e.g. ['ledger or adjustments']."""
        return [" or ".join(group) for group in self.needs if not set(group) & loaded]


# The claim of a returned unit lost or damaged (R05, R09), from the rule's `returned` CTE: one
# row per return (order_id, fnsku, sku, return_day, _file_id, _line, missing_units). `missing`:
# the returns with units missing, with their order's currency and net proceeds. `paid`: what
# Amazon reimbursed for that order and FNSKU (any reason, net of reversals; one naming no FNSKU
# counts for the order's). `valued`: the unit's value after an order. `net`: the claim of each
# return once the reimbursement is netted, oldest return first.
MISSING_RETURN = """missing AS (
        SELECT r.*, coalesce(o.currency, h.currency, 'USD') AS currency, o.net_per_unit,
            o.evidence AS order_evidence
        FROM returned r
        LEFT JOIN order_lines o ON o.order_id = r.order_id AND o.sku = r.sku
        LEFT JOIN sku_currency h ON h.sku = r.sku
        WHERE r.missing_units > 0
    )"""

PAID_FOR_RETURN = """paid AS (
        SELECT b.amazon_order_id AS order_id, m.fnsku, sum(b.net_quantity) AS units,
            sum(b.net_amount) AS amount, list(b.reimbursement_id ORDER BY b.reimbursement_id)
                AS ids,
            list({'report': 'reimbursements', 'file_id': b._file_id, 'line': b._line})
                AS evidence
        FROM reimbursements b JOIN (SELECT DISTINCT order_id, fnsku FROM missing) m
          ON b.amazon_order_id = m.order_id
         AND (b.fnsku = m.fnsku OR coalesce(b.fnsku, '') = '')
        GROUP BY b.amazon_order_id, m.fnsku
        HAVING sum(b.net_quantity) > 0 OR sum(b.net_amount) > 0
    )"""

VALUED_RETURN = """valued AS (
        SELECT m.*, returned_unit_value(m.net_per_unit, v.median_net_proceeds, v.value)
                AS unit_value,
            CASE WHEN m.net_per_unit IS NOT NULL OR v.median_net_proceeds IS NOT NULL
                 THEN 'net_proceeds' WHEN v.value IS NOT NULL THEN 'catalog' ELSE 'unknown' END
                AS valuation,
            coalesce(p.units, 0) AS paid_units, coalesce(p.amount, 0) AS paid_amount,
            p.ids AS paid_ids, p.evidence AS paid_evidence
        FROM missing m
        LEFT JOIN unit_values v ON v.sku = m.sku AND v.currency = m.currency
        LEFT JOIN paid p ON p.order_id = m.order_id AND p.fnsku = m.fnsku
    )"""

# A partial reimbursement nets, it does not erase: units it paid come off the claim (the oldest
# returns first); one that paid money but no units takes its money off.
NET_OF_PAID = """before AS (
        SELECT *,
            coalesce(sum(missing_units) OVER earlier, 0) AS units_before,
            coalesce(sum(missing_units * unit_value) OVER earlier, 0) AS value_before
        FROM valued
        WINDOW earlier AS (PARTITION BY order_id, fnsku ORDER BY return_day, _file_id, _line
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ), net AS (
        SELECT *,
            CASE WHEN paid_units > 0
                 THEN missing_units - least(missing_units,
                                            greatest(paid_units - units_before, 0))
                 ELSE missing_units END AS claim_units,
            CASE WHEN paid_units > 0
                 THEN (missing_units - least(missing_units,
                                             greatest(paid_units - units_before, 0)))
                      * unit_value
                 ELSE missing_units * unit_value
                      - least(missing_units * unit_value,
                              greatest(greatest(paid_amount, 0) - value_before, 0)) END
                AS claim_amount,
            CASE WHEN paid_units > 0 OR paid_amount > 0 THEN
                ['paid_units=' || paid_units, 'paid=' || CAST(paid_amount AS DECIMAL(18,2))]
                || list_transform(paid_ids, lambda i: 'reimbursement=' || i)
            ELSE [] END AS paid_details
        FROM before
    )"""
RETURN_CLAIM = ", ".join([MISSING_RETURN, PAID_FOR_RETURN, VALUED_RETURN, NET_OF_PAID])


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


def details(finding: dict) -> dict[str, list[str]]:
    """A finding's `name=value` details (from its claim lines), as name -> values."""
    out: dict[str, list[str]] = {}
    for item in finding.get("details") or []:
        name, _, value = item.partition("=")
        out.setdefault(name, []).append(value)
    return out


def request(f: dict) -> str:
    """The closing words of a summary: what we request, or why there is no amount yet."""
    if f["amount"] is None:
        return (
            "the amount is still to be valued: this SKU needs a unit cost in the catalog "
            "(fba-audit values units lost before an order at the cost to make or buy them)"
        )
    return f"we request {money(f['amount'], f['currency'])}"


def closing(f: dict) -> str:
    """The closing sentence of a summary: `We request $25.20 (3 units at $8.40 each).`"""
    words = request(f)
    return f"{words[0].upper()}{words[1:]}{each(f)}."


def when(f: dict) -> str:
    """`on 2025-12-20`, or `between 2025-11-02 and 2025-12-20` for a finding of several days."""
    if f["event_date"] == f["last_date"]:
        return f"on {f['event_date']}"
    return f"between {f['event_date']} and {f['last_date']}"


def remains(n) -> str:
    return "remains" if n == 1 else "remain"


def reimbursed_part(f: dict) -> str:
    """`, of which Amazon reimbursed …` for a finding netted against a partial reimbursement."""
    facts = details(f)
    paid_units = int((facts.get("paid_units") or ["0"])[0])
    paid = Decimal((facts.get("paid") or ["0"])[0])
    if paid_units <= 0 and paid <= 0:
        return ""
    what = units(paid_units) if paid_units > 0 else money(paid, f["currency"])
    return (
        f"; Amazon has reimbursed {what} of this order's (reimbursement "
        f"{ids(facts.get('reimbursement'))}), which leaves"
    )


def were(n) -> str:
    return "was" if n == 1 else "were"


def has(n) -> str:
    return "has" if n == 1 else "have"


def each(f: dict) -> str:
    """` (3 units at $8.40 each)` after an amount of more than one unit."""
    if f["amount"] is None or (f["quantity"] or 0) <= 1 or f.get("unit_value") is None:
        return ""
    return f" ({units(f['quantity'])} at {money(f['unit_value'], f['currency'])} each)"


# Amazon writes to a seller in its marketplace's English: "fulfillment center" on Amazon.com,
# "fulfilment centre" on Amazon.co.uk and the European marketplaces.
AMERICAN = {"fulfilment": "fulfillment", "centres": "centers", "centre": "center"}
AMERICAN_CURRENCIES = frozenset({"USD"})


def spelling(currency: str | None, words: str) -> str:
    """`words` (British spelling) as the marketplace of `currency` spells them."""
    if currency not in AMERICAN_CURRENCIES:
        return words
    return " ".join(AMERICAN.get(w, w) for w in words.split(" "))


def units(n) -> str:
    return f"{n} unit" + ("" if n == 1 else "s")
