"""R07 refund.never_returned — refunded, and the item never came back.

What it detects:
    A refund for an order whose item was never returned, and which Amazon has not reimbursed.

Reports needed:
    Settlement, or else the Date Range report (the refund); customer returns; inventory ledger;
    reimbursements.

How it matches:
    Per order and SKU with a refund: no row for it in the returns report, no ledger
    CustomerReturns event with the order id as Reference ID for that SKU, and no reimbursement on
    that order (any reason, net of reversals).

What is claimed and how it is valued:
    The seller's net debit on the refund: all its settlement amounts for that order and SKU,
    sign flipped (valuation `refund`); quantity = refunded units (refunded principal / unit
    price, rounded half up, at most the units ordered). Key = order id.

Window:
    From the refund's posted-date, 120 days; claimable only after 60 days (the buyer's time to
    return), `pending` before.

Example:
    Flagged: resistance bands refunded 102 days ago, no return anywhere: $17.59 net debit.
    Passes: a refund whose return arrived on day 59; a refund already reimbursed under
    CustomerReturn.
"""

from rules.base import Rule, money, units


def query(ctx: dict) -> str:
    return """
    SELECT r.order_id AS key, r.sku, r.order_id, r.posted_on AS anchor_date,
        coalesce(least(o.quantity, greatest(1, CAST(round(-r.principal / o.unit_price)
                                                       AS BIGINT))), 1) AS quantity,
        -r.total AS amount, r.currency, 'refund' AS valuation, [r.order_id] AS refs,
        list_concat(r.evidence, coalesce(o.evidence, [])) AS evidence
    FROM refunds r
    LEFT JOIN order_lines o USING (order_id, sku)
    WHERE r.total < 0
      AND NOT EXISTS (SELECT 1 FROM returns t WHERE t.order_id = r.order_id AND t.sku = r.sku)
      AND NOT EXISTS (SELECT 1 FROM ledger l
                      WHERE l.event_type = 'CustomerReturns' AND l.reference_id = r.order_id
                        AND l.msku = r.sku)
      AND NOT EXISTS (SELECT 1 FROM reimbursements b WHERE b.amazon_order_id = r.order_id
                      AND (b.net_quantity > 0 OR b.net_amount > 0))
    """


def summarize(f: dict) -> str:
    return (
        f"Order {f['order_id']} (SKU {f['sku']}) was refunded on {f['event_date']} for "
        f"{units(f['quantity'])} that were never returned: no return, no inventory receipt and "
        f"no reimbursement since; we request our net debit of {money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R07",
    slug="refund.never_returned",
    title="Refunded, and the item never came back",
    needs=(("settlement", "transactions"), ("returns",), ("ledger",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
