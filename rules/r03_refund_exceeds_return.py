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
    paid on that order for that SKU (any reason): units reimbursed cancel excess units, money
    left over reduces (a). (a) and (b) never claim the same money. A refund with no return at all
    is R07's, whose net debit already holds any excess: (a) adds nothing to it.

What is claimed and how it is valued:
    One finding per order and SKU (and status), never merging an order's SKUs; valuation
    `refund`; quantity = excess units, empty for (a) alone. Key = order id, or order id/SKU when
    the order has more than one SKU. The summary describes each part it claims.

Window:
    From the posted-date of the refund that made the refund exceed what was paid or returned
    (not an earlier refund of the same order), 120 days; (b) becomes claimable 60 days after it
    (the buyer may still send the unit back) and is `pending` before. In European marketplaces
    45 and 105 days.

Example:
    Flagged: 2 wooden block sets refunded, 1 returned, 87 days on: 1 x $24.99. A knife sold for
    $34.99 and refunded $39.99: $5.00.
    Passes: the same refund where Amazon already reimbursed the missing unit (CustomerReturn).
"""

from decimal import Decimal

from rules.base import Rule, details, money, units


def query(ctx: dict) -> str:
    return """
    WITH refund AS (
        SELECT r.order_id, r.sku, r.order_key, r.posted_on, r.currency, -r.principal AS refunded,
            o.principal AS paid, o.quantity AS ordered, o.unit_price,
            least(o.quantity, CAST(round(-r.principal / o.unit_price) AS BIGINT))
                AS refunded_units,
            greatest(m.returned_units, m.restocked_units) AS returned_units,
            m.reimbursed_units, m.reimbursed, m.never_returned AND r.total < 0 AS never_returned,
            list_concat(r.evidence, o.evidence, coalesce(m.returned_evidence, []),
                        coalesce(m.reimbursed_evidence, [])) AS evidence
        FROM refunds r
        JOIN order_lines o USING (order_id, sku)
        JOIN refund_matches m USING (order_id, sku)
        WHERE o.unit_price > 0
    ), steps AS (
        -- each refund posting, with what had been refunded by then
        SELECT f.order_id, f.sku, p.posted_on, f.paid, f.ordered, f.unit_price,
            f.returned_units, f.currency,
            -sum(p.principal) OVER (PARTITION BY p.order_id, p.sku
                                    ORDER BY p.posted_on, p._file_id, p._line) AS refunded_by_then
        FROM postings p JOIN refund f USING (order_id, sku)
        WHERE p.kind = 'Refund'
    ), anchors AS (
        -- the refund posting that made the refund exceed what was paid, or returned
        SELECT order_id, sku,
            min(posted_on) FILTER (WHERE refunded_by_then - paid
                > policy_value('money_tolerance_per_unit', currency) * ordered) AS money_from,
            min(posted_on) FILTER (WHERE least(ordered, CAST(round(refunded_by_then / unit_price)
                                                             AS BIGINT)) > returned_units)
                AS units_from
        FROM steps GROUP BY order_id, sku
    ), parts AS (
        SELECT f.*, a.money_from, a.units_from,
            CASE WHEN returned_units >= 1 AND refunded_units > returned_units
                 THEN refunded_units - returned_units ELSE 0 END AS excess_units,
            CASE WHEN never_returned THEN 0 ELSE greatest(refunded - paid, 0) END
                AS excess_money
        FROM refund f LEFT JOIN anchors a USING (order_id, sku)
    ), net AS (
        -- units reimbursed cancel excess units; money paid without units comes off (b) first;
        -- what is left of the money reduces (a)
        SELECT *,
            greatest(excess_units - greatest(reimbursed_units, 0), 0) AS claim_units,
            CASE WHEN reimbursed_units > 0
                 THEN greatest(excess_units - reimbursed_units, 0) * unit_price
                 ELSE greatest(excess_units * unit_price - greatest(reimbursed, 0), 0) END
                AS units_amount,
            greatest(greatest(reimbursed, 0) - excess_units * unit_price, 0) AS left_over
        FROM parts
    )
    SELECT order_key AS key, sku, order_id, coalesce(units_from, posted_on) AS anchor_date,
        claim_units AS quantity, units_amount AS amount, currency,
        'refund' AS valuation, unit_price AS unit_value, 'R03b' AS window, [order_id] AS refs,
        ['refunded_units=' || refunded_units, 'returned_units=' || returned_units,
         'excess_units=' || excess_units, 'claimed_units=' || claim_units,
         'unit_price=' || CAST(unit_price AS DECIMAL(18,2)),
         'reimbursed=' || CAST(greatest(reimbursed, 0) AS DECIMAL(18,2)),
         'reimbursed_units=' || greatest(reimbursed_units, 0)]
            AS details,
        evidence
    FROM net WHERE claim_units > 0 AND units_amount > 0
    UNION ALL
    SELECT order_key, sku, order_id, coalesce(money_from, posted_on), NULL,
        excess_money - left_over, currency, 'refund', unit_price, 'R03', [order_id],
        ['refunded=' || CAST(refunded AS DECIMAL(18,2)), 'paid=' || CAST(paid AS DECIMAL(18,2)),
         'excess_money=' || CAST(excess_money - left_over AS DECIMAL(18,2))],
        evidence
    FROM net
    WHERE excess_money - left_over > policy_value('money_tolerance_per_unit', currency) * ordered
    """


def summarize(f: dict) -> str:
    facts = details(f)
    parts = []
    if "excess_money" in facts:
        parts.append(
            f"the buyer was refunded {money(Decimal(facts['refunded'][0]), f['currency'])} "
            f"of principal against {money(Decimal(facts['paid'][0]), f['currency'])} paid, "
            f"{money(Decimal(facts['excess_money'][0]), f['currency'])} more than was paid"
        )
    if "excess_units" in facts:
        refunded, returned = int(facts["refunded_units"][0]), int(facts["returned_units"][0])
        excess = int(facts["excess_units"][0])
        parts.append(
            f"{units(refunded)} {'was' if refunded == 1 else 'were'} refunded but only "
            f"{returned} came back, leaving {units(excess)} at "
            f"{money(Decimal(facts['unit_price'][0]), f['currency'])} each never returned"
        )
        paid, paid_units = Decimal(facts["reimbursed"][0]), int(facts["reimbursed_units"][0])
        if paid_units > 0:
            parts[-1] += f", of which Amazon has reimbursed {paid_units}"
        elif paid > 0:
            parts[-1] += f", of which Amazon has reimbursed {money(paid, f['currency'])}"
    return (
        f"Order {f['order_id']} (SKU {f['sku']}): {'; and '.join(parts)}. The refund was posted "
        f"on {f['event_date']}; we request the {money(f['amount'], f['currency'])} not yet "
        "reimbursed."
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
