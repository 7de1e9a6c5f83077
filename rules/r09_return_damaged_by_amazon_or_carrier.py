"""R09 return.damaged_by_amazon_or_carrier — a return damaged in Amazon's or the carrier's hands.

What it detects:
    A customer return that Amazon graded DAMAGED (damaged by Amazon) or CARRIER_DAMAGED, which
    Amazon has not reimbursed.

Reports needed:
    Customer returns; reimbursements; settlement (to value the unit).

How it matches:
    Returns with `detailed-disposition` DAMAGED or CARRIER_DAMAGED, per order and FNSKU. A
    reimbursement for that order and FNSKU (net of reversals) nets: the units it paid come off
    the claim, or its money when it paid no units.

What is claimed and how it is valued:
    The units x that order's own net proceeds per unit (its postings summed: an order of 3
    posted as 2 + 1 is one line of 3 units; else the 18-month median in the order's currency,
    else catalog cost, else unknown). Key = order id/FNSKU.

Window:
    From the return-date, 60 days.

Example:
    Flagged: a doll house returned and graded DAMAGED, never reimbursed.
    Passes: a dog bed graded DAMAGED and reimbursed; a return graded CUSTOMER_DAMAGED.
"""

from rules.base import RETURN_CLAIM, Rule, reimbursed_part, request, units, were


def query(ctx: dict) -> str:
    return """
    WITH returned AS (
        SELECT order_id, fnsku, sku, asin, quantity AS missing_units,
            CAST(return_date AS DATE) AS return_day, detailed_disposition AS grade, _file_id,
            _line, [{'report': 'returns', 'file_id': _file_id, 'line': _line}] AS evidence
        FROM returns WHERE detailed_disposition IN ('DAMAGED', 'CARRIER_DAMAGED')
    ), {RETURN_CLAIM}
    SELECT order_id || '/' || fnsku AS key, sku, fnsku, asin, order_id,
        return_day AS anchor_date, claim_units AS quantity, claim_amount AS amount, currency,
        valuation, unit_value, [order_id, grade] AS refs, paid_details AS details,
        list_concat(evidence, coalesce(order_evidence, []), coalesce(paid_evidence, []))
            AS evidence
    FROM net WHERE claim_units > 0 AND (claim_amount IS NULL OR claim_amount > 0)
    """.replace("{RETURN_CLAIM}", RETURN_CLAIM)


def summarize(f: dict) -> str:
    grade = next((r for r in f["refs"] if r in ("DAMAGED", "CARRIER_DAMAGED")), "DAMAGED")
    who = "by the carrier" if grade == "CARRIER_DAMAGED" else "in Amazon's care"
    return (
        f"Order {f['order_id']}: {units(f['quantity'])} of FNSKU {f['fnsku']} (SKU {f['sku']}) "
        f"returned on {f['event_date']} {were(f['quantity'])} graded {grade}, damaged {who}"
        f"{reimbursed_part(f) or ', and not reimbursed'}; {request(f)}."
    )


RULE = Rule(
    code="R09",
    slug="return.damaged_by_amazon_or_carrier",
    title="A return damaged in Amazon's or the carrier's hands",
    needs=(("returns",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
