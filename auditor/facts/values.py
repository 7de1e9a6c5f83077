"""What one unit of a SKU is worth in a claim."""

from __future__ import annotations

import datetime as dt

import duckdb


def unit_values(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
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
