"""The reference fees per SKU: the fulfilment fee its true package implies and its referral
category and fee."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import duckdb

from auditor.fees import Unit
from auditor.store import insert_rows

if TYPE_CHECKING:
    from auditor.facts import Facts


def expected_fba_fees(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    """Per SKU and card: the tier and fee its true package implies (catalog, else fee preview)."""
    rows = con.execute(
        """SELECT s.sku, c.length, c.width, c.height, c.unit_of_dimension, c.weight,
               c.unit_of_weight, f.longest_side, f.median_side, f.shortest_side,
               f.unit_of_dimension, f.item_package_weight, f.unit_of_weight, f.product_size_tier
        FROM (SELECT sku FROM catalog UNION SELECT sku FROM fee_preview_latest) s
        LEFT JOIN catalog c USING (sku) LEFT JOIN fee_preview_latest f USING (sku)"""
    ).fetchall()
    out = []
    for sku, *values in rows:
        catalog_unit, preview_unit, preview_tier = (
            _unit(*values[:6]),
            _unit(*values[6:12]),
            values[12],
        )
        unit, source = (catalog_unit, "catalog") if catalog_unit else (preview_unit, "fee_preview")
        if unit is None:
            continue
        for card in facts.cards:
            tier, fee_standard = card.fulfilment_fee(unit, None)
            _, fee_low = card.fulfilment_fee(unit, card.low_price_below - Decimal("0.01"))
            implied = card.tier(preview_unit) if preview_unit else None
            out.append(
                [
                    sku,
                    card.name,
                    card.effective_from,
                    card.effective_to,
                    card.currency,
                    tier,
                    fee_standard,
                    fee_low,
                    card.low_price_below,
                    source,
                    preview_tier,
                    implied,
                    card.tier_rank(tier),
                    card.tier_rank(preview_tier),
                    card.tier_rank(implied),
                ]
            )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE expected_fba_fees (
            sku VARCHAR, card VARCHAR, card_from DATE, card_to DATE, currency VARCHAR,
            tier VARCHAR, fee_standard DECIMAL(18,4), fee_low DECIMAL(18,4),
            low_price_below DECIMAL(18,4), dimensions_from VARCHAR, preview_tier VARCHAR,
            preview_implied_tier VARCHAR, tier_rank INTEGER, preview_tier_rank INTEGER,
            preview_implied_rank INTEGER)"""
    )
    if out:
        insert_rows(con, "expected_fba_fees", out)
    uncovered = con.execute(
        """SELECT count(*), min(posted_on), max(posted_on) FROM postings o
        WHERE kind = 'Order' AND fba_fee IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM expected_fba_fees e WHERE e.sku = o.sku AND e.currency = o.currency
              AND o.posted_on BETWEEN e.card_from AND coalesce(e.card_to, DATE '9999-12-31'))"""
    ).fetchone()
    if uncovered[0]:
        facts.notes.append(
            f"R01: {uncovered[0]} order lines posted {uncovered[1]} to {uncovered[2]} not checked: "
            "no fee card (or no dimensions) covers them; pass --rates with the card in force"
        )


def _unit(a, b, c, dimension_unit, weight, weight_unit) -> Unit | None:
    if None in (a, b, c, weight) or not dimension_unit or not weight_unit:
        return None
    try:
        return Unit.of(a, b, c, dimension_unit, weight, weight_unit)
    except KeyError:
        return None


# A posting's per-unit sales price, on which the referral fee is charged: item, shipping and gift
# wrap, no tax.
SALES_PRICE = """CAST((o.principal + coalesce(o.shipping, 0) + coalesce(o.gift_wrap, 0))
                 / o.quantity AS DECIMAL(18,4))"""


def referral(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    schedule = facts.referral
    rows = con.execute(
        """SELECT s.sku, c.referral_category, f.product_group
        FROM (SELECT DISTINCT sku FROM order_lines) s
        LEFT JOIN catalog c USING (sku) LEFT JOIN fee_preview_latest f USING (sku)
        ORDER BY s.sku"""
    ).fetchall()
    categories = []
    for sku, referral_category, product_group in rows:
        category = schedule.category(referral_category, product_group)
        if category is None:
            facts.unknown_categories.append(sku)
        else:
            categories.append([sku, category])
    con.execute("CREATE OR REPLACE TEMP TABLE sku_categories (sku VARCHAR, category VARCHAR)")
    if categories:
        insert_rows(con, "sku_categories", categories)
    prices = con.execute(
        f"""SELECT DISTINCT c.category, {SALES_PRICE}
        FROM postings o JOIN sku_categories c USING (sku)
        WHERE o.kind = 'Order' AND o.currency = ? AND o.quantity > 0""",
        [schedule.currency],
    ).fetchall()
    con.execute(
        """CREATE OR REPLACE TEMP TABLE referral_expected (
            category VARCHAR, sales_price DECIMAL(18,4), fee DECIMAL(18,4), currency VARCHAR)"""
    )
    expected = [
        [c, p, schedule.fee(c, p), schedule.currency] for c, p in prices if p is not None and p > 0
    ]
    if expected:
        insert_rows(con, "referral_expected", expected)
    other = con.execute(
        """SELECT currency, count(*) FROM order_lines WHERE currency IS DISTINCT FROM ?
        GROUP BY currency ORDER BY currency""",
        [schedule.currency],
    ).fetchall()
    for currency, count in other:
        facts.notes.append(
            f"R10: {count} order lines in {currency or 'no currency'} not checked: the referral "
            f"schedule is in {schedule.currency}; pass --referral with that marketplace's schedule"
        )
    if facts.unknown_categories:
        facts.notes.append(
            "R10: category unknown for "
            + ", ".join(facts.unknown_categories)
            + "; add referral-category to your catalog"
        )
