"""R06 refund.restocking_fee_not_credited — a restocking fee kept from the buyer but not passed on.

What it detects:
    A refund for a unit the buyer damaged, where the seller was debited the full price and
    received no restocking fee.

Reports needed:
    Settlement (the refund and its lines; a Date Range report cannot show that no restocking
    fee was credited); customer returns (the disposition).

How it matches:
    Per order and SKU with a CUSTOMER_DAMAGED return: the refund debited at least the damaged
    units x unit price (less one cent), and the refund credited no restocking fee (no
    RestockingFee line, or lines adding up to 0.00).

What is claimed and how it is valued:
    The restocking rate (policy data, 20% by Convention) x the principal debited; quantity = the
    customer-damaged units; valuation `refund`. Key = order id, or order id/SKU when the order
    has more than one SKU.

Window:
    From the refund's posted-date, 120 days (105 in European marketplaces).

Example:
    Flagged: headphones returned CUSTOMER_DAMAGED, refunded $39.99 in full, no restocking fee:
    20% x $39.99 = $8.00.
    Passes: the same refund with a $8.00 RestockingFee credit. A RestockingFee line of $0.00 is
    no credit: that refund is flagged.
"""

from rules.base import Rule, money, units


def query(ctx: dict) -> str:
    return """
    WITH damaged AS (
        SELECT order_id, sku, any_value(fnsku) AS fnsku, any_value(asin) AS asin,
            sum(quantity) AS units,
            list({'report': 'returns', 'file_id': _file_id, 'line': _line}) AS evidence
        FROM returns WHERE detailed_disposition = 'CUSTOMER_DAMAGED'
        GROUP BY order_id, sku
    )
    SELECT r.order_key AS key, r.sku, d.fnsku, d.asin, r.order_id, r.posted_on AS anchor_date,
        d.units AS quantity,
        least(-r.principal, d.units * o.unit_price) * policy_value('restocking_rate', r.currency)
            AS amount,
        r.currency, 'refund' AS valuation, -r.principal AS unit_value, [r.order_id] AS refs,
        list_concat(r.evidence, d.evidence, o.evidence) AS evidence
    FROM refunds r
    JOIN damaged d USING (order_id, sku)
    JOIN order_lines o USING (order_id, sku)
    WHERE r.itemised AND coalesce(r.restocking_fee, 0) <= 0
      AND -r.principal >= d.units * o.unit_price
                          - policy_value('money_tolerance_per_unit', r.currency)
    """


def summarize(f: dict) -> str:
    return (
        f"Order {f['order_id']} (SKU {f['sku']}): {units(f['quantity'])} came back damaged by "
        f"the customer, yet the refund posted on {f['event_date']} debited us the full "
        f"{money(f['unit_value'], f['currency'])} with no restocking fee credited; we request "
        f"the restocking fee of {money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R06",
    slug="refund.restocking_fee_not_credited",
    title="Restocking fee kept from the buyer but not passed on",
    needs=(("settlement",), ("returns",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
