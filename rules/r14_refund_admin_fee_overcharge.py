"""R14 refund.admin_fee_overcharge — a refund administration fee above Amazon's cap.

What it detects:
    Refunds on which Amazon gave back less of the referral fee than the refunded share of the
    order, or kept a refund administration fee above the lesser of its cap and its rate of the
    referral fee refunded (data per marketplace: $5.00 and 20%, the same in Europe in the
    marketplace's currency until its own figures are known).

Reports needed:
    Settlement (a refund's Commission credit and RefundCommission fee are separate lines only
    there; the Date Range report adds them together).

How it matches:
    Per refund posting of an order and SKU: share = min(1, refunded principal / the order's
    principal); referral fee refunded = share x the order's Commission; expected administration
    fee = min(cap, rate x referral fee refunded). Overcharge = (referral fee refunded -
    Commission credited) + (RefundCommission kept - expected administration fee), when more
    than one cent per refunded unit (at least one unit for a partial refund).

What is claimed and how it is valued:
    One finding per order and SKU: the sum of its refunds' overcharges (valuation `fee`); no
    units, as for the fee rules. Key = order id, or order id/SKU when the order has several
    SKUs. Evidence: the order's and the refund's settlement lines.

Window:
    From the refund's posted-date, 90 days (as fee claims).

Example:
    Flagged: a $39.99 refund of a $39.99 order whose $6.00 referral fee was credited in full
    but $2.00 kept as administration fee, not $1.20: $0.80.
    Passes: a fee of exactly 20%; the $5.00 cap reached on an expensive item; a partial refund
    with a proportional credit; a one-cent rounding difference.
"""

from decimal import Decimal

from rules.base import Rule, details, money


def query(ctx: dict) -> str:
    return """
    WITH refunded AS (
        SELECT p.*, o.order_key, o.evidence AS order_evidence, r.evidence AS refund_evidence,
            -p.principal AS principal_refunded, coalesce(p.commission, 0) AS credited,
            -coalesce(p.refund_commission, 0) AS kept,
            -- exact decimals: a division of decimals is a double in SQL
            round(CAST(least(1, -p.principal / o.principal) AS DECIMAL(18,6)) * -o.commission, 2)
                AS referral_refunded,
            CAST(greatest(1, round(-p.principal / o.unit_price)) AS INTEGER) AS units
        FROM postings p
        JOIN order_lines o USING (order_id, sku)
        JOIN refunds r USING (order_id, sku)
        WHERE p.kind = 'Refund' AND p.source = 'settlement' AND p.principal < 0
          AND o.principal > 0 AND o.commission < 0
          AND (p.commission IS NOT NULL OR p.refund_commission IS NOT NULL)
    ), judged AS (
        SELECT *, round(least(policy_value('refund_admin_fee_cap', currency),
                              policy_value('refund_admin_fee_rate', currency)
                              * referral_refunded), 2) AS expected_fee
        FROM refunded
    )
    SELECT order_key AS key, sku, order_id, posted_on AS anchor_date,
        (referral_refunded - credited) + (kept - expected_fee) AS amount, currency,
        'fee' AS valuation, [order_id] AS refs,
        ['refund=' || posted_on || '|' || CAST(principal_refunded AS DECIMAL(18,2)) || '|'
             || CAST(referral_refunded AS DECIMAL(18,2)) || '|'
             || CAST(credited AS DECIMAL(18,2)) || '|' || CAST(kept AS DECIMAL(18,2)) || '|'
             || CAST(expected_fee AS DECIMAL(18,2)),
         'cap=' || CAST(policy_value('refund_admin_fee_cap', currency) AS DECIMAL(18,2)),
         'rate=' || CAST(policy_value('refund_admin_fee_rate', currency) AS DECIMAL(18,4))]
            AS details,
        list_concat(order_evidence, refund_evidence) AS evidence
    FROM judged
    WHERE (referral_refunded - credited) + (kept - expected_fee)
          > policy_value('money_tolerance_per_unit', currency) * units
    """


def _refund(item: str, currency: str) -> str:
    day, principal, refunded, credited, kept, expected = item.split("|")
    m = lambda text: money(Decimal(text), currency)  # noqa: E731
    return (
        f"the refund of {m(principal)} posted {day} should have given back {m(refunded)} of "
        f"referral fee and kept at most {m(expected)}, but gave back {m(credited)} and kept "
        f"{m(kept)}"
    )


def summarize(f: dict) -> str:
    facts = details(f)
    rate = Decimal(facts["rate"][0]) * 100
    refunds = "; ".join(_refund(item, f["currency"]) for item in sorted(facts["refund"]))
    return (
        f"Order {f['order_id']} (SKU {f['sku']}): when a buyer is refunded, Amazon gives back the "
        f"referral fee on the refunded amount and keeps a refund administration fee of the "
        f"lesser of {money(Decimal(facts['cap'][0]), f['currency'])} and {rate.normalize():f}% "
        f"of that referral fee; {refunds}. We request {money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R14",
    slug="refund.admin_fee_overcharge",
    title="A refund administration fee above Amazon's cap",
    needs=(("settlement",),),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
