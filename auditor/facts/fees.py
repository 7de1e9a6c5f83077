"""The reference fees per SKU: the fulfilment fee its true package implies and its referral
category and fee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import duckdb

from auditor.fees import Unit
from auditor.store import insert_rows

FEE_ROWS_BATCH = 20_000

if TYPE_CHECKING:
    from auditor.facts import Facts


def expected_fba_fees(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    """Per SKU, card (as in force, day by day) and price band: the tier and fee its true package
    implies (catalog, else fee preview), and the band's unit prices. A band whose limit depends on
    the category uses the SKU's category in the card's marketplace, else the lowest limit."""
    rows = con.execute(
        """SELECT s.sku, c.length, c.width, c.height, c.unit_of_dimension, c.weight,
               c.unit_of_weight, f.longest_side, f.median_side, f.shortest_side,
               f.unit_of_dimension, f.item_package_weight, f.unit_of_weight, f.product_size_tier
        FROM (SELECT sku FROM catalog UNION SELECT sku FROM fee_preview_latest) s
        LEFT JOIN catalog c USING (sku) LEFT JOIN fee_preview_latest f USING (sku)"""
    ).fetchall()
    categories = dict(
        ((m, sku), category)
        for m, sku, category in con.execute(
            "SELECT marketplace, sku, any_value(category) FROM sku_categories GROUP BY ALL"
        ).fetchall()
    )
    out, surcharges = [], []
    # Only the cards of the marketplaces the seller's orders were posted in are ever joined.
    sold_in = {
        m for (m,) in con.execute("SELECT DISTINCT marketplace FROM postings").fetchall() if m
    }
    cards = [
        c
        for c in facts.cards
        if not c.data.get("fees_unknown") and (not sold_in or c.marketplace in sold_in)
    ]
    for card in cards:
        for s in card.surcharges:
            start = max(s["effective_from"], card.effective_from)
            end = min(s.get("effective_to", dt.date.max), card.effective_to or dt.date.max)
            if start <= end:
                surcharges.append([card.name, card.marketplace, start, end, Decimal(s["rate"])])
    con.execute(
        """CREATE OR REPLACE TEMP TABLE expected_fba_fees (
            sku VARCHAR, card VARCHAR, card_from DATE, card_to DATE, marketplace VARCHAR,
            currency VARCHAR, band VARCHAR, price_above DECIMAL(18,4), above_strict BOOLEAN,
            price_to DECIMAL(18,4), to_strict BOOLEAN, tier VARCHAR, fee DECIMAL(18,4),
            dimensions_from VARCHAR, preview_tier VARCHAR, preview_implied_tier VARCHAR,
            tier_rank INTEGER, preview_tier_rank INTEGER, preview_implied_rank INTEGER)"""
    )
    for sku, *values in rows:
        if len(out) >= FEE_ROWS_BATCH:  # a large catalog's rows go in a batch at a time
            insert_rows(con, "expected_fba_fees", out)
            out.clear()
        catalog_unit, preview_unit, preview_tier = (
            _unit(*values[:6]),
            _unit(*values[6:12]),
            values[12],
        )
        unit, source = (catalog_unit, "catalog") if catalog_unit else (preview_unit, "fee_preview")
        if unit is None:
            continue
        for card in cards:
            category = categories.get((card.marketplace, sku))
            implied = card.tier(preview_unit) if preview_unit else None
            sized = card.tier(unit)
            lower, lower_strict = None, False
            for band in card.bands:
                limit = band.limit_for(category, category is not None)
                try:
                    tier, fee = card.band_fee(unit, band.name, sized)
                except ValueError:  # the card has no fee for it (a row not confirmed)
                    tier, fee = None, None
                if fee is not None:
                    out.append(
                        [
                            sku,
                            card.name,
                            card.effective_from,
                            card.effective_to,
                            card.marketplace,
                            card.currency,
                            band.name,
                            lower,
                            lower_strict,
                            limit,
                            not band.inclusive,
                            tier,
                            fee,
                            source,
                            preview_tier,
                            implied,
                            card.tier_rank(tier),
                            card.tier_rank(preview_tier),
                            card.tier_rank(implied),
                        ]
                    )
                lower, lower_strict = limit, band.inclusive
    insert_rows(con, "expected_fba_fees", out)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE fee_surcharges (
            card VARCHAR, marketplace VARCHAR, surcharge_from DATE, surcharge_to DATE,
            rate DECIMAL(18,4))"""
    )
    if surcharges:
        insert_rows(con, "fee_surcharges", surcharges)
    uncovered = con.execute(
        """SELECT count(*), min(posted_on), max(posted_on) FROM postings o
        WHERE kind = 'Order' AND fba_fee IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM expected_fba_fees e WHERE e.sku = o.sku
              AND e.marketplace = o.marketplace
              AND o.posted_on BETWEEN e.card_from AND coalesce(e.card_to, DATE '9999-12-31'))"""
    ).fetchone()
    if uncovered[0]:
        facts.notes.append(
            f"R01: {uncovered[0]} order lines posted {uncovered[1]} to {uncovered[2]} not checked: "
            "no fee card with confirmed fees (or no dimensions) covers their marketplace and "
            "day; fba-audit rates lists the cards built in, and --rates adds your own"
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
    """Per referral schedule in force (by marketplace and day): each SKU's category in it, and
    the fee of each category at each sales price its orders were posted at."""
    categories, expected, unknown = [], [], set()
    skus = con.execute(
        """SELECT s.sku, c.referral_category, f.product_group
        FROM (SELECT DISTINCT sku FROM order_lines) s
        LEFT JOIN catalog c USING (sku) LEFT JOIN fee_preview_latest f USING (sku)
        ORDER BY s.sku"""
    ).fetchall()
    for schedule in facts.referral:
        for sku, referral_category, product_group in skus:
            category = schedule.category(referral_category, product_group)
            if category is None:
                unknown.add(sku)
            else:
                categories.append([schedule.source, schedule.marketplace, sku, category])
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sku_categories (
            schedule VARCHAR, marketplace VARCHAR, sku VARCHAR, category VARCHAR)"""
    )
    if categories:
        insert_rows(con, "sku_categories", categories)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE referral_schedules (
            schedule VARCHAR, marketplace VARCHAR, currency VARCHAR, schedule_from DATE,
            schedule_to DATE)"""
    )
    insert_rows(
        con,
        "referral_schedules",
        [
            [s.source, s.marketplace, s.currency, s.effective_from, s.effective_to]
            for s in facts.referral
        ],
    )
    prices = con.execute(
        f"""SELECT DISTINCT r.schedule, c.category, {SALES_PRICE}
        FROM postings o
        JOIN referral_schedules r ON r.marketplace = o.marketplace
         AND o.posted_on BETWEEN r.schedule_from AND coalesce(r.schedule_to, DATE '9999-12-31')
        JOIN sku_categories c ON c.schedule = r.schedule AND c.sku = o.sku
        WHERE o.kind = 'Order' AND o.quantity > 0"""
    ).fetchall()
    by_source = {s.source: s for s in facts.referral}
    for source, category, price in prices:
        if price is not None and price > 0:
            expected.append([source, category, price, by_source[source].fee(category, price)])
    con.execute(
        """CREATE OR REPLACE TEMP TABLE referral_expected (
            schedule VARCHAR, category VARCHAR, sales_price DECIMAL(18,4), fee DECIMAL(18,4))"""
    )
    if expected:
        insert_rows(con, "referral_expected", expected)
    other = con.execute(
        """SELECT coalesce(o.marketplace, o.currency, 'unknown'), count(*),
            min(o.posted_on), max(o.posted_on)
        FROM postings o
        WHERE o.kind = 'Order' AND o.commission IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM referral_schedules r WHERE r.marketplace = o.marketplace
              AND o.posted_on BETWEEN r.schedule_from
                                  AND coalesce(r.schedule_to, DATE '9999-12-31'))
        GROUP BY ALL ORDER BY 1"""
    ).fetchall()
    for market, count, first, last in other:
        facts.notes.append(
            f"R10: {count} order lines of {market} posted {first} to {last} not checked: no "
            "referral schedule covers them; fba-audit rates lists those built in, and "
            "--referral adds your own"
        )
    # unknown to every schedule: a SKU whose category any schedule knows is not listed
    facts.unknown_categories.extend(sorted(unknown - {row[2] for row in categories}))
    if facts.unknown_categories:
        facts.notes.append(
            "R10: category unknown for "
            + ", ".join(facts.unknown_categories)
            + "; add referral-category to your catalog"
        )
