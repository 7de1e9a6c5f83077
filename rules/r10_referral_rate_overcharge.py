"""R10 fee.referral_rate_overcharge — referral fee charged at a higher rate than the category's.

What it detects:
    Order lines whose referral fee (Commission) is more than the category's schedule gives for
    the sale price.

Reports needed:
    Settlement, or else the Date Range report; the category from the seller's catalog
    (`referral-category`), or, only when the catalog names none, the fee preview's
    `product-group` mapped by the referral schedule's data.

How it matches:
    Expected fee per unit = the referral schedule in force in the order's marketplace on its
    posted day (built in: US; UK and Germany 2025 and 2026; others with --referral), for the
    category (whole-price thresholds, portion tiers or flat rate), applied to the per-unit sales
    price (principal + shipping + gift wrap; the US principal is without tax, a European one
    includes VAT, as Amazon charges it), never below the per-item minimum. Order lines no
    schedule covers are listed in the run's notes as not checked. Overcharge per posting of an
    order item (a split shipment is charged once per part) = commission charged - expected x
    units, when more than one cent per unit. A SKU whose category is not in the schedule,
    including a catalog category the schedule does not know, gets no finding; the run lists it
    as "category unknown".

What is claimed and how it is valued:
    One finding per SKU: the sum of its overcharges in the window (valuation `fee`). Key = SKU.
    The summary quotes the category's fee at each price charged.

Window:
    From each order's settlement posted-date, 90 days; dated by its earliest line in the window.

Example:
    Flagged: a $9.49 serum (Beauty: 8% up to $10) charged 15%: $0.66 a unit.
    Passes: a $17.99 T-shirt charged 10% (Clothing $15-$20); a $6.49 bag clip charged 15%.
"""

from decimal import Decimal

from auditor.facts.fees import SALES_PRICE
from rules.base import Rule, details, ids, money


def query(ctx: dict) -> str:
    return f"""
    WITH priced AS (
        -- each posting of an order item is charged for its own quantity, at the schedule in
        -- force on its day in its marketplace
        SELECT o.*, r.schedule, c.category, {SALES_PRICE} AS sales_price
        FROM postings o
        JOIN referral_schedules r ON r.marketplace = o.marketplace
         AND o.posted_on BETWEEN r.schedule_from AND coalesce(r.schedule_to, DATE '9999-12-31')
        JOIN sku_categories c ON c.schedule = r.schedule AND c.sku = o.sku
        WHERE o.kind = 'Order' AND o.commission IS NOT NULL AND o.quantity > 0
          AND o.principal IS NOT NULL
    )
    SELECT p.sku AS key, p.sku, f.fnsku, f.asin, p.order_id, p.posted_on AS anchor_date,
        -p.commission - e.fee * p.quantity AS amount, p.currency, 'fee' AS valuation,
        e.fee AS unit_value, [p.order_id] AS refs,
        ['expected=' || CAST(e.fee AS DECIMAL(18,2)) || '|'
             || CAST(p.sales_price AS DECIMAL(18,2)),
         'category=' || p.category] AS details,
        o.evidence
    FROM priced p
    JOIN referral_expected e
      ON e.schedule = p.schedule AND e.category = p.category AND e.sales_price = p.sales_price
    JOIN order_lines o USING (order_id, sku)
    LEFT JOIN fee_preview_latest f USING (sku)
    WHERE -p.commission - e.fee * p.quantity
          > policy_value('money_tolerance_per_unit', p.currency) * p.quantity
    """


def summarize(f: dict) -> str:
    facts = details(f)
    applied = sorted(
        (Decimal(price), Decimal(fee))
        for fee, price in (item.split("|") for item in facts["expected"])
    )
    shown = "; ".join(
        f"{money(fee, f['currency'])} per unit at a {money(price, f['currency'])} sales price"
        for price, fee in applied[:4]
    )
    more = f" and {len(applied) - 4} other prices" if len(applied) > 4 else ""
    return (
        f"SKU {f['sku']} was charged a higher referral fee than the {facts['category'][0]} "
        f"rate on orders {ids(f['refs'], 5)} ({f['event_date']} to {f['last_date']}); the "
        f"category's fee is {shown}{more}, so we were overcharged "
        f"{money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R10",
    slug="fee.referral_rate_overcharge",
    title="Referral fee charged at a higher rate than the category's",
    needs=(("settlement", "transactions"), ("catalog", "fee_preview")),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
