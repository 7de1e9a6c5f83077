"""Order lines and refunds, one row per order and SKU, from the settlement (or Date Range) lines;
their evidence is a pointer, expanded only for the rows a rule claims."""

from __future__ import annotations

import duckdb

# An order line's or refund's evidence before expansion: a pointer to its `_row`.
POINTER = "[{{'report': '{table}', 'file_id': CAST(NULL AS INTEGER), 'line': _row}}]"
POINTED = ("order_lines", "refunds")


def order_lines_and_refunds(con: duckdb.DuckDBPyConnection) -> None:
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
