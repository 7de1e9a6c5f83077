"""Facts every rule shares, built once per audit as TEMP tables and views:

- the canonical views cut at the as-of date, under their own names (events after it are unseen);
- `order_lines` and `refunds`: one row per order and SKU from the settlement lines; their
  `evidence` is one pointer per row, which `expand_order_evidence` turns into the source lines
  only for the rows a rule claims (listing every order's lines up front does not fit in memory
  for a large seller);
- `unit_values`: what one unit of a SKU is worth before an order (RULEBOOK §2);
- `inbound_status`: each shipment item's shortage and the inbound reimbursements against it;
- `expected_fba_fees`, `sku_categories`, `referral_expected`: the reference fees per SKU.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from auditor.fees import RateCard, ReferralSchedule, Unit
from auditor.store import REIMBURSEMENTS_SQL, insert_rows

# A view, and the expression dating its rows for the as-of cut.
AS_OF_VIEWS = {
    "ledger": "date",
    "adjustments": "CAST(adjusted_date AS DATE)",
    "returns": "CAST(return_date AS DATE)",
    "reimbursement_events": "CAST(approval_date AS DATE)",
    "settlement_lines": "posted_on",
    "transactions": "CAST(date_time AS DATE)",
    "orders": "CAST(purchase_date AS DATE)",
    "removals": "CAST(request_date AS DATE)",
    "fee_preview": "snapshot_date",
}


# The temp tables `build` makes.
TABLES = [
    "order_lines",
    "refunds",
    "unit_values",
    "inbound_status",
    "expected_fba_fees",
    "sku_categories",
    "referral_expected",
]


@dataclass
class Facts:
    as_of: dt.date
    cards: list[RateCard]
    referral: ReferralSchedule
    notes: list[str] = field(default_factory=list)  # what the run could not check, and why
    unknown_categories: list[str] = field(default_factory=list)


def build(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    _as_of_views(con, facts.as_of)
    _order_lines_and_refunds(con)
    _unit_values(con, facts.as_of)
    _inbound_status(con, facts.as_of)
    _expected_fba_fees(con, facts)
    _referral(con, facts)
    _uncovered_currencies(con, facts)


def _uncovered_currencies(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    """A marketplace whose currency the policy data has no region for is audited on the US
    claim windows; say so, since its real windows may be shorter."""
    missing = con.execute(
        """SELECT DISTINCT currency FROM files
        WHERE currency IS NOT NULL AND currency NOT IN (SELECT currency FROM regions)
        ORDER BY 1"""
    ).fetchall()
    for (currency,) in missing:
        facts.notes.append(
            f"claim windows: no region for {currency} in the policy data (regions.csv); its "
            "findings use the US windows, check that marketplace's deadlines before filing"
        )


def _as_of_views(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    db = con.execute("SELECT current_database()").fetchone()[0]
    day = f"DATE '{as_of.isoformat()}'"
    for view, dated in AS_OF_VIEWS.items():
        con.execute(
            f'CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM "{db}".main.{view} '
            f"WHERE {dated} <= {day}"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW reimbursements AS {REIMBURSEMENTS_SQL}")
    con.execute(
        """CREATE OR REPLACE TEMP VIEW fee_preview_latest AS SELECT * FROM fee_preview
        QUALIFY row_number() OVER (PARTITION BY sku ORDER BY snapshot_date DESC,
                                   _file_id DESC) = 1"""
    )
    # A shipment that closed after the as-of date was still open on it.
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW inbound_items AS
        SELECT * REPLACE (
            CASE WHEN closed_date > {day} THEN 'RECEIVING' ELSE shipment_status END
                AS shipment_status,
            CASE WHEN closed_date > {day} THEN NULL ELSE closed_date END AS closed_date)
        FROM "{db}".main.inbound_items"""
    )


# An order line's or refund's evidence before expansion: a pointer to its `_row`.
POINTER = "[{{'report': '{table}', 'file_id': CAST(NULL AS INTEGER), 'line': _row}}]"
POINTED = ("order_lines", "refunds")


def _order_lines_and_refunds(con: duckdb.DuckDBPyConnection) -> None:
    if con.execute("SELECT count(*) FROM settlement_lines").fetchone()[0] == 0:
        _order_lines_from_transactions(con)
        return
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE order_lines AS
        WITH o AS (
            SELECT order_id, sku, any_value(currency) AS currency, min(posted_on) AS posted_on,
                max(quantity_purchased) AS quantity_purchased,
                sum(amount) FILTER (WHERE amount_type = 'ItemPrice'
                                    AND amount_description = 'Principal') AS principal,
                coalesce(sum(amount) FILTER (WHERE amount_type = 'ItemPrice'
                                    AND amount_description = 'Shipping'), 0) AS shipping,
                coalesce(sum(amount) FILTER (WHERE amount_type = 'ItemPrice'
                                    AND amount_description = 'GiftWrap'), 0) AS gift_wrap,
                sum(amount) FILTER (WHERE amount_type = 'ItemFees'
                                    AND amount_description = 'Commission') AS commission,
                sum(amount) FILTER (WHERE amount_type = 'ItemFees'
                                    AND amount_description = 'FBAPerUnitFulfillmentFee')
                    AS fba_fee
            FROM settlement_lines
            WHERE transaction_type = 'Order' AND order_id IS NOT NULL AND sku IS NOT NULL
            GROUP BY order_id, sku
        ), priced AS (
            SELECT o.* EXCLUDE (quantity_purchased),
                coalesce(o.quantity_purchased, r.quantity, 1) AS quantity,
                CAST(o.principal / coalesce(o.quantity_purchased, r.quantity, 1)
                     AS DECIMAL(18,4)) AS unit_price,
                CAST((o.principal + coalesce(o.commission, 0) + coalesce(o.fba_fee, 0))
                     / coalesce(o.quantity_purchased, r.quantity, 1) AS DECIMAL(18,4))
                    AS net_per_unit,
                row_number() OVER () AS _row
            FROM o LEFT JOIN orders r ON r.amazon_order_id = o.order_id AND r.sku = o.sku
            WHERE o.principal IS NOT NULL
        )
        SELECT *, {POINTER.format(table="order_lines")} AS evidence FROM priced"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE refunds AS
        SELECT *, {POINTER.format(table="refunds")} AS evidence FROM (
            SELECT order_id, sku, any_value(currency) AS currency, min(posted_on) AS posted_on,
                coalesce(sum(amount) FILTER (WHERE amount_type = 'ItemPrice'
                                     AND amount_description = 'Principal'), 0) AS principal,
                sum(amount) FILTER (WHERE amount_description = 'RestockingFee')
                    AS restocking_fee,
                sum(amount) AS total,
                row_number() OVER () AS _row
            FROM settlement_lines
            WHERE transaction_type = 'Refund' AND order_id IS NOT NULL AND sku IS NOT NULL
            GROUP BY order_id, sku
        )"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW _pointed_lines AS
        SELECT CASE transaction_type WHEN 'Order' THEN 'order_lines' ELSE 'refunds' END AS kind,
            order_id, sku, 'settlement' AS report, _file_id, _line
        FROM settlement_lines
        WHERE transaction_type IN ('Order', 'Refund') AND order_id IS NOT NULL
          AND sku IS NOT NULL"""
    )


def _order_lines_from_transactions(con: duckdb.DuckDBPyConnection) -> None:
    """Without settlement files, the Date Range report carries the same money in columns. It
    cannot show a restocking-fee credit on its own, so `restocking_fee` stays unknown there."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE order_lines AS
        SELECT *, {POINTER.format(table="order_lines")} AS evidence FROM (
            SELECT order_id, sku, any_value(currency) AS currency,
                min(CAST(date_time AS DATE)) AS posted_on,
                sum(product_sales) AS principal, coalesce(sum(shipping_credits), 0) AS shipping,
                coalesce(sum(gift_wrap_credits), 0) AS gift_wrap,
                sum(selling_fees) AS commission, sum(fba_fees) AS fba_fee,
                greatest(coalesce(sum(quantity), 1), 1) AS quantity,
                CAST(sum(product_sales) / greatest(coalesce(sum(quantity), 1), 1)
                     AS DECIMAL(18,4)) AS unit_price,
                CAST((sum(product_sales) + coalesce(sum(selling_fees), 0)
                      + coalesce(sum(fba_fees), 0)) / greatest(coalesce(sum(quantity), 1), 1)
                     AS DECIMAL(18,4)) AS net_per_unit,
                row_number() OVER () AS _row
            FROM transactions
            WHERE type = 'Order' AND order_id IS NOT NULL AND sku IS NOT NULL
            GROUP BY order_id, sku
        )"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE refunds AS
        SELECT *, {POINTER.format(table="refunds")} AS evidence FROM (
            SELECT order_id, sku, any_value(currency) AS currency,
                min(CAST(date_time AS DATE)) AS posted_on,
                coalesce(sum(product_sales), 0) AS principal,
                CAST(NULL AS DECIMAL(18,4)) AS restocking_fee,
                sum(total) AS total,
                row_number() OVER () AS _row
            FROM transactions
            WHERE type = 'Refund' AND order_id IS NOT NULL AND sku IS NOT NULL
            GROUP BY order_id, sku
        )"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW _pointed_lines AS
        SELECT CASE type WHEN 'Order' THEN 'order_lines' ELSE 'refunds' END AS kind,
            order_id, sku, 'transactions' AS report, _file_id, _line
        FROM transactions
        WHERE type IN ('Order', 'Refund') AND order_id IS NOT NULL AND sku IS NOT NULL"""
    )


def expand_order_evidence(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Replace the order-line and refund pointers in `table`'s `evidence` by the settlement (or
    Date Range) lines behind them. Only the pointed-to orders' lines are looked up."""
    kinds = ", ".join(f"'{kind}'" for kind in POINTED)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pointers AS
        SELECT DISTINCT e.report AS kind, e.line AS row
        FROM (SELECT unnest(evidence) AS e FROM {table})
        WHERE e.report IN ({kinds})"""
    )
    if con.execute("SELECT count(*) FROM _pointers").fetchone()[0] == 0:
        return
    keys = " UNION ALL ".join(
        f"SELECT p.kind, p.row, t.order_id, t.sku FROM _pointers p "
        f"JOIN {kind} t ON p.kind = '{kind}' AND t._row = p.row"
        for kind in POINTED
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pointed AS
        WITH keys AS ({keys})
        SELECT k.kind, k.row,
            list({{'report': s.report, 'file_id': s._file_id, 'line': s._line}}
                 ORDER BY s._file_id, s._line) AS rows
        FROM keys k
        JOIN _pointed_lines s ON s.kind = k.kind AND s.order_id = k.order_id AND s.sku = k.sku
        GROUP BY k.kind, k.row"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        WITH numbered AS (SELECT row_number() OVER () AS _n, * FROM {table}),
        items AS (
            SELECT _n, unnest(evidence) AS e, generate_subscripts(evidence, 1) AS i
            FROM numbered
        ),
        expanded AS (
            SELECT i._n, flatten(list(coalesce(p.rows, [i.e]) ORDER BY i.i)) AS evidence
            FROM items i LEFT JOIN _pointed p ON p.kind = i.e.report AND p.row = i.e.line
            GROUP BY i._n
        )
        SELECT n.* EXCLUDE (_n) REPLACE (coalesce(x.evidence, n.evidence) AS evidence)
        FROM numbered n LEFT JOIN expanded x USING (_n)
        ORDER BY n._n"""
    )


def _unit_values(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Per SKU, a unit before an order: catalog cost, else the 18-month median net proceeds."""
    months = con.execute(
        "SELECT value FROM policy WHERE region = 'US' AND name = 'net_proceeds_months'"
    ).fetchone()[0]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE unit_values AS
        WITH proceeds AS (
            SELECT sku, median(net_per_unit) AS value, any_value(currency) AS currency
            FROM order_lines
            WHERE posted_on > DATE '{as_of.isoformat()}' - INTERVAL {int(months)} MONTH
            GROUP BY sku
        ), skus AS (
            SELECT sku FROM catalog UNION SELECT sku FROM proceeds
        )
        SELECT s.sku,
            CASE WHEN c.unit_cost IS NOT NULL THEN c.unit_cost ELSE p.value END AS value,
            CASE WHEN c.unit_cost IS NOT NULL THEN 'catalog'
                 WHEN p.value IS NOT NULL THEN 'net_proceeds' ELSE 'unknown' END AS valuation,
            CASE WHEN c.unit_cost IS NOT NULL THEN c.currency ELSE p.currency END AS currency,
            p.value AS median_net_proceeds
        FROM skus s LEFT JOIN catalog c USING (sku) LEFT JOIN proceeds p USING (sku)"""
    )
    # After an order (R05, R09): that order's own net proceeds, else the median, else cost.
    con.execute(
        """CREATE OR REPLACE TEMP MACRO returned_unit_value(order_net, median_net, cost) AS
        coalesce(order_net, median_net, cost)"""
    )


def _inbound_status(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Per shipment item: shortage, reimbursements for it, and what is left over after the
    shortage (RULEBOOK R04, R08). A reimbursement naming no shipment offsets its FNSKU's oldest
    open shortage (Convention)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE inbound_status AS
        WITH items AS (
            SELECT i.shipment_id, i.fnsku, i.seller_sku AS sku, upper(i.shipment_status) AS status,
                i.quantity_shipped, i.quantity_received,
                greatest(coalesce(i.quantity_shipped, 0) - coalesce(i.quantity_received, 0), 0)
                    AS shortage,
                coalesce(i.closed_date, (
                    SELECT max(l.date) FROM ledger l
                    WHERE l.event_type = 'Receipts' AND l.quantity > 0
                      AND l.reference_id = i.shipment_id AND l.fnsku = i.fnsku))
                    AS closed_on,
                i._file_id, i._line
            FROM inbound_items i
        ), paid AS (
            SELECT amazon_order_id AS shipment_id, fnsku, sum(net_quantity) AS units,
                list({'report': 'reimbursements', 'file_id': _file_id, 'line': _line})
                    AS evidence,
                list(reimbursement_id ORDER BY reimbursement_id) AS ids
            FROM reimbursements
            WHERE lower(reason) IN ('lost_inbound', 'damaged_inbound')
            GROUP BY ALL
        ), loose AS (
            SELECT fnsku, sum(units) AS units FROM paid WHERE shipment_id IS NULL GROUP BY fnsku
        ), named AS (
            SELECT i.*, coalesce(p.units, 0) AS reimbursed_named, p.evidence, p.ids,
                greatest(i.shortage - coalesce(p.units, 0), 0) AS open_after_named
            FROM items i LEFT JOIN paid p
                ON p.shipment_id = i.shipment_id AND p.fnsku = i.fnsku
        ), oldest_first AS (
            SELECT n.*, coalesce(l.units, 0) AS loose_units,
                coalesce(sum(n.open_after_named) OVER (
                    PARTITION BY n.fnsku ORDER BY n.closed_on NULLS LAST, n.shipment_id
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS open_before
            FROM named n LEFT JOIN loose l USING (fnsku)
        )
        SELECT * EXCLUDE (loose_units, open_before),
            least(open_after_named, greatest(loose_units - open_before, 0)) AS reimbursed_loose,
            greatest(reimbursed_named - shortage, 0) AS reimbursed_left_over
        FROM oldest_first"""
    )


def _expected_fba_fees(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
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
                ]
            )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE expected_fba_fees (
            sku VARCHAR, card VARCHAR, card_from DATE, card_to DATE, currency VARCHAR,
            tier VARCHAR, fee_standard DECIMAL(18,4), fee_low DECIMAL(18,4),
            low_price_below DECIMAL(18,4), dimensions_from VARCHAR, preview_tier VARCHAR,
            preview_implied_tier VARCHAR)"""
    )
    if out:
        insert_rows(con, "expected_fba_fees", out)
    uncovered = con.execute(
        """SELECT count(*), min(posted_on), max(posted_on) FROM order_lines o
        WHERE fba_fee IS NOT NULL AND NOT EXISTS (
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


def _referral(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
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
        """SELECT DISTINCT c.category,
            CAST((o.principal + o.shipping + o.gift_wrap) / o.quantity AS DECIMAL(18,4))
        FROM order_lines o JOIN sku_categories c USING (sku)
        WHERE o.currency = ? AND o.quantity > 0""",
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
