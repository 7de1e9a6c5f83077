"""R05 return.not_restocked — a returned unit that never came back into the seller's inventory.

What it detects:
    A customer return the returns report shows as received, which the inventory ledger never
    added back and Amazon has not reimbursed.

Reports needed:
    Customer returns; inventory ledger; reimbursements; settlement (to value the unit).

How it matches:
    Returns with status `Unit returned to inventory` or disposition SELLABLE (damaged ones are
    R09's), per order and FNSKU: returned units - units of ledger CustomerReturns events with the
    order id as Reference ID and the same FNSKU, dated from the day before the first return to
    30 days after the last. Nothing when a reimbursement for that order and FNSKU stands.

What is claimed and how it is valued:
    The units not restocked x that order's own net proceeds per unit (else the 18-month median,
    else catalog cost, else unknown). Key = order id/FNSKU.

Window:
    From the return-date, 60 days; claimable only once the 30 days for the ledger to show the
    unit have passed (`pending` before).

Example:
    Flagged: a mug returned to inventory per the returns report, no ledger CustomerReturns.
    Passes: a return the ledger restocked 18 days later.
"""

from rules.base import Rule, money, units


def query(ctx: dict) -> str:
    return """
    WITH received AS (
        SELECT order_id, fnsku, any_value(sku) AS sku, any_value(asin) AS asin,
            sum(quantity) AS units, min(CAST(return_date AS DATE)) AS first_day,
            max(CAST(return_date AS DATE)) AS last_day,
            list({'report': 'returns', 'file_id': _file_id, 'line': _line}) AS evidence
        FROM returns
        WHERE (status = 'Unit returned to inventory' OR detailed_disposition = 'SELLABLE')
          AND detailed_disposition NOT IN ('DAMAGED', 'CARRIER_DAMAGED')
        GROUP BY order_id, fnsku
    ), restocked AS (
        SELECT r.order_id, r.fnsku, sum(l.quantity) AS units,
            list({'report': 'ledger', 'file_id': l._file_id, 'line': l._line}) AS evidence
        FROM received r JOIN ledger l
          ON l.event_type = 'CustomerReturns' AND l.reference_id = r.order_id
         AND l.fnsku = r.fnsku AND l.quantity > 0
         AND l.date BETWEEN r.first_day - 1
             AND r.last_day + CAST(policy_value('return_match_days', 'USD') AS INTEGER)
        GROUP BY r.order_id, r.fnsku
    ), paid AS (
        SELECT amazon_order_id AS order_id, fnsku FROM reimbursements
        WHERE net_quantity > 0 OR net_amount > 0
    )
    SELECT r.order_id || '/' || r.fnsku AS key, r.sku, r.fnsku, r.asin, r.order_id,
        r.first_day AS anchor_date, r.units - coalesce(k.units, 0) AS quantity,
        (r.units - coalesce(k.units, 0))
            * returned_unit_value(o.net_per_unit, v.median_net_proceeds, v.value) AS amount,
        coalesce(o.currency, v.currency, 'USD') AS currency,
        CASE WHEN o.net_per_unit IS NOT NULL OR v.median_net_proceeds IS NOT NULL
             THEN 'net_proceeds' WHEN v.value IS NOT NULL THEN 'catalog' ELSE 'unknown' END
            AS valuation,
        returned_unit_value(o.net_per_unit, v.median_net_proceeds, v.value) AS unit_value,
        CAST(policy_value('return_match_days', 'USD') AS INTEGER) AS wait_days,
        [r.order_id] AS refs,
        list_concat(r.evidence, coalesce(k.evidence, []), coalesce(o.evidence, [])) AS evidence
    FROM received r
    LEFT JOIN restocked k USING (order_id, fnsku)
    LEFT JOIN order_lines o ON o.order_id = r.order_id AND o.sku = r.sku
    LEFT JOIN unit_values v ON v.sku = r.sku
    WHERE r.units - coalesce(k.units, 0) > 0
      AND NOT EXISTS (SELECT 1 FROM paid p WHERE p.order_id = r.order_id
                      AND (p.fnsku = r.fnsku OR p.fnsku IS NULL))
    """


def summarize(f: dict) -> str:
    return (
        f"Order {f['order_id']}: {units(f['quantity'])} of FNSKU {f['fnsku']} (SKU {f['sku']}) "
        f"returned on {f['event_date']} and shown as returned to inventory never reached our "
        f"inventory in the ledger and were not reimbursed; we request "
        f"{money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R05",
    slug="return.not_restocked",
    title="A returned unit that never came back into inventory",
    needs=(("returns",), ("ledger",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
