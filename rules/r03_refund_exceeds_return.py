"""R03 refund.exceeds_return — the buyer was refunded more than was returned or paid.

What it detects:
    (a) A refund of more principal than the buyer paid for the item. (b) A refund for more units
    than came back, where at least one unit did come back.

Reports needed:
    Settlement, or else the Date Range report (what was paid and refunded); customer returns
    (units back); reimbursements.

How it matches:
    Per order and SKU: unit price = order principal / units ordered. (a) excess = refunded
    principal - paid principal. (b) refunded units = refunded principal / unit price, rounded half
    up and capped at the units paid for; when at least one unit was returned and refunded units
    exceed returned units, the excess units x unit price. Both net of any reimbursement already
    paid on that order (any reason): units reimbursed cancel excess units, money left over
    reduces (a). (a) and (b) never claim the same money.

What is claimed and how it is valued:
    One finding per order and SKU (and status); valuation `refund`; quantity = excess units,
    empty for (a) alone. Key = order id.

Window:
    From the refund's posted-date, 120 days; (b) becomes claimable 60 days after the refund
    (the buyer may still send the unit back) and is `pending` before.

Example:
    Flagged: 2 wooden block sets refunded, 1 returned, 87 days on: 1 x $24.99. A knife sold for
    $34.99 and refunded $39.99: $5.00.
    Passes: the same refund where Amazon already reimbursed the missing unit (CustomerReturn).
"""

from rules.base import Rule, money, units


def query(ctx: dict) -> str:
    return """
    WITH returned AS (
        SELECT order_id, sku, sum(quantity) AS units,
            list({'report': 'returns', 'file_id': _file_id, 'line': _line}) AS evidence
        FROM returns GROUP BY order_id, sku
    ), paid_back AS (
        SELECT amazon_order_id AS order_id, sum(net_quantity) AS units, sum(net_amount) AS amount,
            list(reimbursement_id) AS ids,
            list({'report': 'reimbursements', 'file_id': _file_id, 'line': _line}) AS evidence
        FROM reimbursements WHERE amazon_order_id IS NOT NULL GROUP BY amazon_order_id
    ), refund AS (
        SELECT r.order_id, r.sku, r.posted_on, r.currency, -r.principal AS refunded,
            o.principal AS paid, o.quantity AS ordered, o.unit_price,
            least(o.quantity, CAST(round(-r.principal / o.unit_price) AS BIGINT))
                AS refunded_units,
            coalesce(t.units, 0) AS returned_units,
            coalesce(b.units, 0) AS reimbursed_units, coalesce(b.amount, 0) AS reimbursed,
            list_concat(r.evidence, o.evidence, coalesce(t.evidence, []),
                        coalesce(b.evidence, [])) AS evidence
        FROM refunds r
        JOIN order_lines o USING (order_id, sku)
        LEFT JOIN returned t USING (order_id, sku)
        LEFT JOIN paid_back b USING (order_id)
        WHERE o.unit_price > 0
    ), parts AS (
        SELECT *,
            CASE WHEN returned_units >= 1 AND refunded_units > returned_units
                 THEN refunded_units - returned_units ELSE 0 END AS excess_units,
            greatest(refunded - paid, 0) AS excess_money
        FROM refund
    ), net AS (
        SELECT *,
            greatest(excess_units - reimbursed_units, 0) AS claim_units,
            greatest(reimbursed - excess_units * unit_price, 0) AS left_over
        FROM parts
    )
    SELECT order_id AS key, sku, order_id, posted_on AS anchor_date, claim_units AS quantity,
        claim_units * unit_price AS amount, currency, 'refund' AS valuation,
        unit_price AS unit_value, 'R03b' AS window, [order_id] AS refs, evidence
    FROM net WHERE claim_units > 0
    UNION ALL
    SELECT order_id, sku, order_id, posted_on, NULL, excess_money - left_over, currency,
        'refund', unit_price, 'R03', [order_id], evidence
    FROM net
    WHERE excess_money - left_over > policy_value('money_tolerance_per_unit', currency) * ordered
    """


def summarize(f: dict) -> str:
    if f["quantity"]:
        what = (
            f"refunded for more units than were returned: {units(f['quantity'])} refunded "
            f"at {money(f['unit_value'], f['currency'])} never came back"
        )
    else:
        what = "refunded more principal than the buyer paid"
    return (
        f"Order {f['order_id']} (SKU {f['sku']}) was {what}; the refund was posted on "
        f"{f['event_date']} and has not been reimbursed, so we request "
        f"{money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R03",
    slug="refund.exceeds_return",
    title="Buyer refunded more than was returned or paid",
    needs=(("settlement", "transactions"), ("returns",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
