"""R07 refund.never_returned — refunded, and the item never came back.

What it detects:
    A refund for an order whose item was never returned, and which Amazon has not reimbursed.

Reports needed:
    Settlement, or else the Date Range report (the refund); customer returns; inventory ledger;
    reimbursements.

How it matches:
    Per order and SKU with a refund: no row for it in the returns report and no ledger
    CustomerReturns event with the order id as Reference ID for that SKU. A reimbursement on
    that order for that SKU (any reason, net of reversals) nets: its units and money come off the
    claim, which is gone once the refunded units or the net debit are paid in full.

What is claimed and how it is valued:
    The seller's net debit on the refund: all its settlement (or Date Range) amounts for that
    order and SKU, sign flipped, less any reimbursement (valuation `refund`); quantity = refunded
    units (refunded principal / unit price, rounded half up, at most the units ordered) less
    units reimbursed. Key = order id, or order id/SKU when the order has more than one SKU.

Window:
    From the first refund's posted-date, 120 days; claimable only after 60 days (the buyer's
    time to return), `pending` before. In European marketplaces 45 and 105 days.

Example:
    Flagged: resistance bands refunded 102 days ago, no return anywhere: $17.59 net debit.
    Passes: a refund whose return arrived on day 59; a refund already reimbursed under
    CustomerReturn.
"""

from decimal import Decimal

from rules.base import Rule, details, ids, money, units


def query(ctx: dict) -> str:
    return """
    WITH refunded AS (
        SELECT r.*, -r.total AS net_debit, greatest(m.reimbursed_units, 0) AS paid_units,
            greatest(m.reimbursed, 0) AS paid, m.reimbursement_ids, m.reimbursed_evidence,
            o.evidence AS order_evidence,
            coalesce(least(o.quantity, CAST(round(-r.principal / o.unit_price) AS BIGINT)), 1)
                AS refunded_units
        FROM refunds r
        JOIN refund_matches m USING (order_id, sku)
        LEFT JOIN order_lines o USING (order_id, sku)
        WHERE r.total < 0 AND m.never_returned
    )
    SELECT order_key AS key, sku, order_id, posted_on AS anchor_date,
        refunded_units - paid_units AS quantity,
        -- the unreimbursed units' share of the net debit, and never more than is left of it
        least(net_debit - paid, net_debit * (refunded_units - paid_units) / refunded_units)
            AS amount, currency, 'refund' AS valuation,
        [order_id] AS refs,
        ['refunded_units=' || refunded_units, 'net_debit=' || CAST(net_debit AS DECIMAL(18,2)),
         'reimbursed=' || CAST(paid AS DECIMAL(18,2)), 'reimbursed_units=' || paid_units]
            || coalesce(list_transform(reimbursement_ids, lambda i: 'reimbursement=' || i), [])
            AS details,
        list_concat(evidence, coalesce(order_evidence, []), coalesce(reimbursed_evidence, []))
            AS evidence
    FROM refunded
    WHERE refunded_units > 0 AND refunded_units - paid_units > 0 AND net_debit - paid > 0
    """


def summarize(f: dict) -> str:
    facts = details(f)
    partly = ""
    paid, paid_units = Decimal(facts["reimbursed"][0]), int(facts["reimbursed_units"][0])
    if paid > 0 or paid_units > 0:
        what = [money(paid, f["currency"])] if paid > 0 else []
        what += [units(paid_units)] if paid_units > 0 else []
        partly = (
            f"; Amazon reimbursed {' for '.join(what)} of it "
            f"(reimbursement {ids(facts.get('reimbursement'))}), which leaves"
        )
    return (
        f"Order {f['order_id']} (SKU {f['sku']}) was refunded on {f['event_date']} for "
        f"{units(int(facts['refunded_units'][0]))} that never came back: no return, no inventory "
        f"receipt; our net debit was "
        f"{money(Decimal(facts['net_debit'][0]), f['currency'])}{partly}, so we request "
        f"{money(f['amount'], f['currency'])}."
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
