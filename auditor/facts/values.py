"""What one unit of a SKU is worth in a claim."""

from __future__ import annotations

import datetime as dt

import duckdb


def unit_values(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Per SKU and currency, a unit before an order: catalog cost, else the median net proceeds
    of the SKU's order lines in that currency over the policy's months (never mixing
    currencies). `sku_currency` is each SKU's own currency: its catalog's, else the one most of
    its order lines are in; a loss the ledger places in a country is valued in that country's
    currency (`event_currency`)."""
    months = con.execute(
        "SELECT value FROM policy WHERE region = 'US' AND name = 'net_proceeds_months'"
    ).fetchone()[0]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sku_currency AS
        WITH sold AS (
            SELECT sku, currency FROM order_lines WHERE currency IS NOT NULL
            GROUP BY sku, currency
            QUALIFY row_number() OVER (PARTITION BY sku ORDER BY count(*) DESC, currency) = 1
        )
        SELECT k.sku, coalesce(c.currency, s.currency) AS currency
        FROM (SELECT sku FROM catalog UNION SELECT sku FROM sold) k
        LEFT JOIN catalog c USING (sku) LEFT JOIN sold s USING (sku)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE unit_values AS
        WITH proceeds AS (
            SELECT sku, currency, median(net_per_unit) AS value
            FROM order_lines
            WHERE posted_on > DATE '{as_of.isoformat()}' - INTERVAL {int(months)} MONTH
              AND currency IS NOT NULL
            GROUP BY sku, currency
        ), cost AS (
            SELECT c.sku, coalesce(c.currency, h.currency, 'USD') AS currency, c.unit_cost
            FROM catalog c LEFT JOIN sku_currency h USING (sku)
            WHERE c.unit_cost IS NOT NULL
        ), keys AS (
            SELECT sku, currency FROM cost UNION SELECT sku, currency FROM proceeds
        )
        SELECT k.sku, k.currency, coalesce(c.unit_cost, p.value) AS value,
            CASE WHEN c.unit_cost IS NOT NULL THEN 'catalog'
                 WHEN p.value IS NOT NULL THEN 'net_proceeds' ELSE 'unknown' END AS valuation,
            p.value AS median_net_proceeds
        FROM keys k LEFT JOIN cost c USING (sku, currency)
        LEFT JOIN proceeds p USING (sku, currency)"""
    )
    # After an order (R05, R09): that order's own net proceeds, else the median, else cost.
    con.execute(
        """CREATE OR REPLACE TEMP MACRO returned_unit_value(order_net, median_net, cost) AS
        coalesce(order_net, median_net, cost)"""
    )
