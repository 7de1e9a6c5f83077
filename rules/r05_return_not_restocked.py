"""R05 return.not_restocked — a returned unit that never came back into the seller's inventory.

What it detects:
    A customer return the returns report shows as received, which the inventory ledger never
    added back and Amazon has not reimbursed.

Reports needed:
    Customer returns; inventory ledger; reimbursements; settlement (to value the unit).

How it matches:
    Returns with status `Unit returned to inventory` or disposition SELLABLE (damaged ones are
    R09's), per order and FNSKU: returned units - units of ledger CustomerReturns events with the
    order id as Reference ID and the same FNSKU, dated from 7 days before the first return-date
    to 30 days after the last (policy data). A reimbursement for that order and FNSKU (net of
    reversals) nets: the units it paid come off the claim, or its money when it paid no units.

What is claimed and how it is valued:
    The units not restocked x that order's own net proceeds per unit (its postings summed, else
    the 18-month median in the order's currency, else catalog cost, else unknown). Key = order
    id/FNSKU.

Window:
    From the return-date, 60 days; claimable only once the 30 days for the ledger to show the
    unit have passed (`pending` before).

Example:
    Flagged: a mug returned to inventory per the returns report, no ledger CustomerReturns.
    Passes: a return the ledger restocked 18 days later.
"""

from rules.base import RETURN_CLAIM, Rule, has, reimbursed_part, request, units, were


def query(ctx: dict) -> str:
    return """
    WITH received AS (
        SELECT order_id, fnsku, sku, asin, quantity AS units,
            CAST(return_date AS DATE) AS return_day, _file_id, _line,
            [{'report': 'returns', 'file_id': _file_id, 'line': _line}] AS evidence
        FROM returns
        WHERE (status = 'Unit returned to inventory' OR detailed_disposition = 'SELLABLE')
          AND detailed_disposition NOT IN ('DAMAGED', 'CARRIER_DAMAGED')
    ), restocked AS (
        -- the ledger's restocks of the order and FNSKU, from a week before its first return (the
        -- two reports date the same return differently) to 30 days after its last
        SELECT r.order_id, r.fnsku, sum(l.quantity) AS units,
            list({'report': 'ledger', 'file_id': l._file_id, 'line': l._line}) AS evidence
        FROM (SELECT order_id, fnsku, min(return_day) AS first_day, max(return_day) AS last_day
              FROM received GROUP BY order_id, fnsku) r
        JOIN ledger l
          ON l.event_type = 'CustomerReturns' AND l.reference_id = r.order_id
         AND l.fnsku = r.fnsku AND l.quantity > 0
         AND l.date BETWEEN
             r.first_day - CAST(policy_value('return_match_days_before', NULL) AS INTEGER)
             AND r.last_day + CAST(policy_value('return_match_days', NULL) AS INTEGER)
        GROUP BY r.order_id, r.fnsku
    ), returned AS (
        -- restocked units settle the oldest returns first
        SELECT r.*, k.evidence AS restocked,
            r.units - least(r.units, greatest(coalesce(k.units, 0) - coalesce(sum(r.units) OVER (
                PARTITION BY r.order_id, r.fnsku ORDER BY r.return_day, r._file_id, r._line
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0)) AS missing_units
        FROM received r LEFT JOIN restocked k USING (order_id, fnsku)
    ), {RETURN_CLAIM}
    SELECT order_id || '/' || fnsku AS key, sku, fnsku, asin, order_id,
        return_day AS anchor_date, claim_units AS quantity, claim_amount AS amount, currency,
        valuation, unit_value, [order_id] AS refs, paid_details AS details,
        list_concat(evidence, coalesce(restocked, []), coalesce(order_evidence, []),
                    coalesce(paid_evidence, [])) AS evidence
    FROM net WHERE claim_units > 0 AND (claim_amount IS NULL OR claim_amount > 0)
    """.replace("{RETURN_CLAIM}", RETURN_CLAIM)


def summarize(f: dict) -> str:
    return (
        f"Order {f['order_id']}: {units(f['quantity'])} of FNSKU {f['fnsku']} (SKU {f['sku']}) "
        f"returned on {f['event_date']} and shown as returned to inventory "
        f"{has(f['quantity'])} not reached our inventory in the ledger"
        f"{reimbursed_part(f) or ' and ' + were(f['quantity']) + ' not reimbursed'}; "
        f"{request(f)}."
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
