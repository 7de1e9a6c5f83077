"""R01 fee.size_tier_overcharge — FBA fulfilment fee charged at a larger size or weight tier.

What it detects:
    Order lines whose FBA fulfilment fee is more than the fee card charges for the product's true
    size tier and shipping weight: Amazon measured the package bigger or heavier than it is.

Reports needed:
    Settlement, or else the Date Range report (the fee charged on each order line); the seller's
    catalog with true dimensions and weight, or else the fee preview's measured dimensions. A
    fee card covering the order's posted date (built in: US 2024-02-05 to 2026-01-14; others
    with --rates).

How it matches:
    Per order line: expected fee = the card's fee for the tier and shipping weight of the
    catalog's dimensions (else the fee preview's), in the low-price band when the unit price is
    under the card's threshold. Overcharge = charged fee - expected x units, when more than one
    cent per unit. Lines outside every card's dates are not checked and the run says so. The fee
    preview rows of the SKU are cited, showing the tier Amazon assigned.

What is claimed and how it is valued:
    One finding per SKU: the sum of its overcharges in the window (valuation `fee`). Key = SKU.

Window:
    From each order's settlement posted-date, 90 days. A finding takes its dates from its
    earliest line still in the window.

Example:
    Flagged: a spatula whose true package (12 x 2.5 x 0.6 in, 4.8 oz) is small standard ($3.24)
    charged the large standard $3.90 on 40 orders: $26.40.
    Passes: a candle charged $0.01 too much on a two-unit order (half a cent a unit).
"""

from rules.base import Rule, ids, money


def query(ctx: dict) -> str:
    return """
    WITH priced AS (
        SELECT o.*, e.tier, e.preview_tier, e.preview_implied_tier, e.dimensions_from,
            CASE WHEN o.unit_price < e.low_price_below THEN e.fee_low ELSE e.fee_standard END
                AS expected
        FROM order_lines o
        JOIN expected_fba_fees e
          ON e.sku = o.sku AND e.currency = o.currency
         AND o.posted_on BETWEEN e.card_from AND coalesce(e.card_to, DATE '9999-12-31')
        WHERE o.fba_fee IS NOT NULL AND o.quantity > 0
    ), preview AS (
        SELECT sku, list({'report': 'fee_preview', 'file_id': _file_id, 'line': _line})
            AS rows
        FROM fee_preview GROUP BY sku
    )
    SELECT p.sku AS key, p.sku, f.fnsku, f.asin, p.order_id, p.posted_on AS anchor_date,
        -p.fba_fee - p.expected * p.quantity AS amount, p.currency, 'fee' AS valuation,
        p.expected AS unit_value, [p.order_id] AS refs,
        list_concat(p.evidence, coalesce(v.rows, [])) AS evidence
    FROM priced p
    LEFT JOIN fee_preview_latest f USING (sku)
    LEFT JOIN preview v USING (sku)
    WHERE -p.fba_fee - p.expected * p.quantity
          > policy_value('money_tolerance_per_unit', p.currency) * p.quantity
    """


def summarize(f: dict) -> str:
    return (
        f"SKU {f['sku']} was charged the FBA fulfilment fee of a larger size tier than its true "
        f"dimensions give on orders {ids(f['refs'], 5)} ({f['event_date']} to "
        f"{f['last_date']}); the fee for its tier is {money(f['unit_value'], f['currency'])} "
        f"per unit, so we were overcharged {money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R01",
    slug="fee.size_tier_overcharge",
    title="FBA fulfilment fee charged at a larger size or weight tier",
    needs=(("settlement", "transactions"), ("catalog", "fee_preview")),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
