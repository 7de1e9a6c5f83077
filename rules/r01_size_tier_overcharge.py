"""R01 fee.size_tier_overcharge — FBA fulfilment fee charged at a larger size or weight tier.

What it detects:
    Order lines whose FBA fulfilment fee is more than the fee card charges for the product's true
    size tier and shipping weight: Amazon measured the package bigger or heavier than it is.

Reports needed:
    Settlement, or else the Date Range report (the fee charged on each order line); the seller's
    catalog with true dimensions and weight, or else the fee preview's measured dimensions. A
    fee card covering the order's marketplace and posted date (built in: US from 2024-02-05
    with its peak seasons; UK and Germany from 2025-02-01, their peak seasons excepted; others
    with --rates; `fba-audit rates` lists them).

How it matches:
    Per posting of an order item (an order shipped in parts is posted, and charged, once per
    part, each for its own quantity): expected fee = the card's fee for the tier and shipping
    weight of the catalog's dimensions (else the fee preview's), in the price band of the unit
    price (US 2026: under $10, $10-$50, over $50; UK and Germany: Low-Price FBA at or below a
    limit some categories have lower, the lowest held to when the category is unknown), plus
    the card's fuel and logistics surcharge on the posted day. Overcharge = charged fee -
    expected x units, when more than one cent per unit. Postings no card covers (or a card
    whose fees are not known, as a UK or German peak season) are not checked and the run says
    so. The fee preview rows of the SKU are cited, showing the tier Amazon assigned.

What is claimed and how it is valued:
    One finding per SKU: the sum of its overcharges in the window (valuation `fee`). Key = SKU.
    The summary quotes the fee that applied to the claimed orders (each card and price band
    used) and, when the fee preview lists the SKU in a larger tier than its true dimensions (or
    its own measurements) give, says so and asks Amazon to re-measure; a tier that changed
    between fee-preview snapshots is named too.

Window:
    From each order's settlement posted-date, 90 days. A finding takes its dates from its
    earliest line still in the window.

Example:
    Flagged: a spatula whose true package (12 x 2.5 x 0.6 in, 4.8 oz) is small standard ($3.24)
    charged the large standard $3.90 on 40 orders: $26.40.
    Passes: a candle charged $0.01 too much on a two-unit order (half a cent a unit); an order
    of 3 posted as 2 + 1, each part charged $3.24 a unit.
"""

from decimal import Decimal

from rules.base import Rule, details, ids, money, spelling


def query(ctx: dict) -> str:
    return """
    WITH priced AS (
        -- each posting of an order item is charged for its own quantity, at the fee of the
        -- card in force on its day for its unit price's band, plus any surcharge of that day
        SELECT p.*, e.tier, e.preview_tier, e.preview_implied_tier, e.dimensions_from, e.card,
            e.tier_rank, e.preview_tier_rank, e.preview_implied_rank, e.band, e.price_above,
            e.above_strict, e.price_to, e.to_strict, e.fee AS table_fee,
            coalesce(s.rate, 0) AS surcharge,
            round(e.fee * (1 + coalesce(s.rate, 0)), 2) AS expected
        FROM (SELECT *, CAST(principal / nullif(quantity, 0) AS DECIMAL(18,4)) AS unit_price
              FROM postings) p
        JOIN expected_fba_fees e
          ON e.sku = p.sku AND e.marketplace = p.marketplace
         AND p.posted_on BETWEEN e.card_from AND coalesce(e.card_to, DATE '9999-12-31')
         AND (e.price_above IS NULL OR p.unit_price > e.price_above
              OR (NOT e.above_strict AND p.unit_price = e.price_above))
         AND (e.price_to IS NULL OR p.unit_price < e.price_to
              OR (NOT e.to_strict AND p.unit_price = e.price_to))
        LEFT JOIN fee_surcharges s
          ON s.card = e.card AND s.marketplace = e.marketplace
         AND p.posted_on BETWEEN s.surcharge_from AND s.surcharge_to
        WHERE p.kind = 'Order' AND p.fba_fee IS NOT NULL AND p.quantity > 0
          AND p.principal IS NOT NULL
    ), preview AS (
        SELECT sku, list({'report': 'fee_preview', 'file_id': _file_id, 'line': _line})
            AS rows,
            list(DISTINCT product_size_tier) AS tiers,
            string_agg(snapshot_date || ': ' || product_size_tier, '; '
                       ORDER BY snapshot_date, _file_id) AS history
        FROM fee_preview GROUP BY sku
    )
    SELECT p.sku AS key, p.sku, f.fnsku, f.asin, p.order_id, p.posted_on AS anchor_date,
        -p.fba_fee - p.expected * p.quantity AS amount, p.currency, 'fee' AS valuation,
        p.expected AS unit_value, [p.order_id] AS refs,
        ['expected=' || CAST(p.expected AS DECIMAL(18,2)) || '|' || p.card || '|'
             || p.band || '|' || coalesce(CAST(p.price_above AS DECIMAL(18,2)) || '', '') || '|'
             || CASE WHEN p.above_strict THEN 'over' ELSE 'from' END || '|'
             || coalesce(CAST(p.price_to AS DECIMAL(18,2)) || '', '') || '|'
             || CASE WHEN p.to_strict THEN 'under' ELSE 'up to' END || '|'
             || CAST(p.surcharge AS DECIMAL(18,4)),
         'tier=' || p.tier, 'dimensions_from=' || p.dimensions_from]
        || CASE WHEN p.preview_tier_rank > p.tier_rank
                  OR p.preview_tier_rank > p.preview_implied_rank
                THEN ['preview_tier=' || p.preview_tier,
                      'preview_implied_tier=' || coalesce(p.preview_implied_tier, '')]
                ELSE [] END
        || CASE WHEN len(v.tiers) > 1 THEN ['tier_history=' || v.history] ELSE [] END
            AS details,
        list_concat(o.evidence, coalesce(v.rows, [])) AS evidence
    FROM priced p
    JOIN order_lines o USING (order_id, sku)
    LEFT JOIN fee_preview_latest f USING (sku)
    LEFT JOIN preview v USING (sku)
    WHERE -p.fba_fee - p.expected * p.quantity
          > policy_value('money_tolerance_per_unit', p.currency) * p.quantity
    """


def _fee_applied(item: str, currency: str) -> str:
    fee, card, _band, above, over, to, under, surcharge = item.split("|")
    bounds = []
    if above:
        bounds.append(
            f"over {money(Decimal(above), currency)}"
            if over == "over"
            else f"of {money(Decimal(above), currency)} or more"
        )
    if to:
        bounds.append(f"{under} {money(Decimal(to), currency)}")
    price = f"a price {' and '.join(bounds)}" if bounds else "any price"
    extra = (
        f", with its {(Decimal(surcharge) * 100).normalize():f}% fuel and logistics surcharge"
        if Decimal(surcharge)
        else ""
    )
    return f"{money(Decimal(fee), currency)} per unit ({card}, {price}{extra})"


def summarize(f: dict) -> str:
    facts = details(f)
    tier = facts["tier"][0]
    measured = "catalog" if facts["dimensions_from"][0] == "catalog" else "fee preview"
    fees = "; ".join(_fee_applied(item, f["currency"]) for item in facts["expected"])
    sentence = (
        f"SKU {f['sku']} was charged the FBA {spelling(f['currency'], 'fulfilment')} fee of a "
        f"larger size tier than its true dimensions give on orders {ids(f['refs'], 5)} "
        f"({f['event_date']} to {f['last_date']}): by its {measured} dimensions it is {tier}, "
        f"for which the fee is {fees}, so we were overcharged {money(f['amount'], f['currency'])}."
    )
    if "preview_tier" in facts:
        implied = facts["preview_implied_tier"][0]
        own = f" (its own measurements there imply {implied})" if implied else ""
        sentence += (
            f" The fee preview lists it as {facts['preview_tier'][0]}{own}, while its true "
            f"dimensions make it {tier}: please re-measure the product."
        )
    if "tier_history" in facts:
        sentence += f" Its fee preview tier changed between snapshots ({facts['tier_history'][0]})."
    return sentence


RULE = Rule(
    code="R01",
    slug="fee.size_tier_overcharge",
    title="FBA fulfilment fee charged at a larger size or weight tier",
    needs=(("settlement", "transactions"), ("catalog", "fee_preview")),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
