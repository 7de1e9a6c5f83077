"""R13 reimbursement.below_cost — a loss reimbursed below the unit's manufacturing cost.

What it detects:
    Cash reimbursements for units lost or damaged in Amazon's care (Lost_Warehouse,
    Damaged_Warehouse, Lost_Inbound, Damaged_Inbound) approved since Amazon values such units at
    their manufacturing cost, paid at less per unit than the cost in the seller's catalog.

Reports needed:
    Reimbursements; the seller's catalog with `unit-cost`.

How it matches:
    Per reimbursement approved on or after the marketplace's manufacturing-cost date (data: US
    2025-03-10, the same in Europe until its own is known), not reversed, with units paid in
    cash: shortfall per unit = catalog unit-cost (same currency) - amount-per-unit, when more
    than one cent. Units reimbursed in inventory are not re-valued; a reimbursement's units stay
    counted as reimbursed by the loss rules, whatever R13 claims on top.

What is claimed and how it is valued:
    One finding per reimbursement: shortfall per unit x cash units (valuation `catalog`). Key =
    reimbursement id. Evidence: the reimbursement row and the catalog row of the SKU. The
    summary asks Amazon to re-value the reimbursement at the cost on file.

Window:
    From the reimbursement's approval date, 60 days.

Example:
    Flagged: 2 lost towel sets reimbursed at $5.00 each in cash, catalog cost $8.40: $6.80.
    Passes: a reimbursement at or above cost; one later reversed; one paid in inventory; a SKU
    with no catalog cost; one approved before the policy date.
"""

from decimal import Decimal

from rules.base import Rule, details, money, units

REASONS = ("lost_warehouse", "damaged_warehouse", "lost_inbound", "damaged_inbound")


def query(ctx: dict) -> str:
    reasons = ", ".join(f"'{r}'" for r in REASONS)
    return f"""
    SELECT r.reimbursement_id AS key, r.sku, r.fnsku, r.asin,
        CAST(r.approval_date AS DATE) AS anchor_date,
        r.quantity_reimbursed_cash AS quantity,
        (c.unit_cost - r.amount_per_unit) * r.quantity_reimbursed_cash AS amount,
        r.currency_unit AS currency, 'catalog' AS valuation, c.unit_cost AS unit_value,
        [r.reimbursement_id] AS refs,
        ['paid_per_unit=' || CAST(r.amount_per_unit AS DECIMAL(18,2)),
         'reason=' || r.reason, 'order=' || coalesce(r.amazon_order_id, '')] AS details,
        [{{'report': 'reimbursements', 'file_id': r._file_id, 'line': r._line}},
         {{'report': 'catalog', 'file_id': c._file_id, 'line': c._line}}] AS evidence
    FROM reimbursements r
    JOIN catalog c ON c.sku = r.sku AND coalesce(c.currency, r.currency_unit) = r.currency_unit
    LEFT JOIN regions g ON g.currency = r.currency_unit
    JOIN cost_policy p ON p.region = coalesce(g.region, 'US')
    WHERE lower(r.reason) IN ({reasons})
      AND CAST(r.approval_date AS DATE) >= p.effective_from
      AND r.reversal_ids IS NULL
      AND coalesce(r.quantity_reimbursed_cash, 0) > 0
      AND c.unit_cost IS NOT NULL
      AND c.unit_cost - r.amount_per_unit
          > policy_value('money_tolerance_per_unit', r.currency_unit)
    """


def summarize(f: dict) -> str:
    facts = details(f)
    n = f["quantity"]
    paid = money(Decimal(facts["paid_per_unit"][0]), f["currency"])
    order = facts.get("order", [""])[0]
    about = f" (order {order})" if order else ""
    return (
        f"Reimbursement {f['key']}{about} paid {units(n)} of SKU {f['sku']} (FNSKU {f['fnsku']}), "
        f"{facts['reason'][0]}, at {paid} each. It was approved after Amazon began reimbursing "
        f"lost and damaged units at their manufacturing cost, and our cost on file is "
        f"{money(f['unit_value'], f['currency'])} a unit: please re-value the reimbursement at "
        f"that cost. We request the difference, {money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R13",
    slug="reimbursement.below_cost",
    title="A loss reimbursed below the unit's manufacturing cost",
    needs=(("reimbursements",), ("catalog",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
