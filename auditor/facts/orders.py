"""Order money, from the settlement lines and, for the days no loaded settlement covers, the Date
Range report (a transaction is never counted from both):

- `postings`: one row per posting of an order item or refund. One order item may be posted in
  several Order transactions (a split shipment), each with its own quantity and fees;
- `order_lines` and `refunds`: one row per order and SKU, the postings summed; `order_key` is the
  order id, or `order id/SKU` when the order has more than one SKU. Their evidence is a pointer,
  expanded by `expand_order_evidence` only for the rows a rule claims (listing every order's lines
  up front does not fit in memory for a large seller).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from auditor.facts import Facts

# An order line's or refund's evidence before expansion: a pointer to its `_row`.
POINTER = "[{{'report': '{table}', 'file_id': CAST(NULL AS INTEGER), 'line': _row}}]"
POINTED = ("order_lines", "refunds")

# A Date Range row is used when its settlement is not loaded; a row naming no settlement, when
# no loaded settlement of its currency covers its time.
UNCOVERED_TRANSACTIONS = """
    SELECT t.* FROM transactions t
    WHERE CASE WHEN coalesce(t.settlement_id, '') <> ''
               THEN t.settlement_id NOT IN (SELECT settlement_id FROM settlements)
               ELSE NOT EXISTS (
                   SELECT 1 FROM settlements s
                   WHERE (t.currency IS NULL OR s.currency = t.currency)
                     AND t.date_time BETWEEN s.settlement_start_date AND s.settlement_end_date)
          END"""

# What a posting sums, by settlement amount-type/description.
SETTLEMENT_AMOUNTS = {
    "principal": "amount_type = 'ItemPrice' AND amount_description = 'Principal'",
    "shipping": "amount_type = 'ItemPrice' AND amount_description = 'Shipping'",
    "gift_wrap": "amount_type = 'ItemPrice' AND amount_description = 'GiftWrap'",
    "commission": "amount_type = 'ItemFees' AND amount_description = 'Commission'",
    "fba_fee": "amount_type = 'ItemFees' AND amount_description = 'FBAPerUnitFulfillmentFee'",
    "refund_commission": "amount_type = 'ItemFees' AND amount_description = 'RefundCommission'",
    "restocking_fee": "amount_description = 'RestockingFee'",
}


def order_lines_and_refunds(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW _uncovered_transactions AS {UNCOVERED_TRANSACTIONS}")
    sums = ",\n".join(
        f"sum(amount) FILTER (WHERE {where}) AS {name}"
        for name, where in SETTLEMENT_AMOUNTS.items()
    )
    principal = SETTLEMENT_AMOUNTS["principal"]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE postings AS
        WITH settled AS (
            SELECT transaction_type AS kind, 'settlement' AS source, order_id, sku,
                any_value(currency) AS currency,
                marketplace_of(any_value(marketplace_name), any_value(currency)) AS marketplace,
                min(posted_on) AS posted_on,
                -- the units are on the Principal line (some files repeat them on every line)
                coalesce(sum(quantity_purchased) FILTER (WHERE {principal}),
                         max(quantity_purchased)) AS quantity,
                {sums}, sum(amount) AS total,
                min(_file_id) AS _file_id, min(_line) AS _line
            FROM settlement_lines
            WHERE transaction_type IN ('Order', 'Refund') AND order_id IS NOT NULL
              AND sku IS NOT NULL
            GROUP BY transaction_type, settlement_id, order_id, sku, order_item_code,
                shipment_id, adjustment_id, coalesce(posted_date_time, posted_on)
        ), ranged AS (
            SELECT type AS kind, 'transactions' AS source, order_id, sku, currency,
                marketplace_of(marketplace, currency) AS marketplace,
                CAST(date_time AS DATE) AS posted_on, quantity, product_sales AS principal,
                shipping_credits AS shipping, gift_wrap_credits AS gift_wrap,
                selling_fees AS commission, fba_fees AS fba_fee,
                CAST(NULL AS DECIMAL(18,4)) AS refund_commission,
                CAST(NULL AS DECIMAL(18,4)) AS restocking_fee, total, _file_id, _line
            FROM _uncovered_transactions
            WHERE type IN ('Order', 'Refund') AND order_id IS NOT NULL AND sku IS NOT NULL
        ), both_sources AS (
            SELECT * FROM settled UNION ALL SELECT * FROM ranged
        )
        SELECT p.* REPLACE (
                CASE WHEN p.kind = 'Order' THEN coalesce(p.quantity, CASE WHEN count(*) OVER (
                    PARTITION BY p.kind, p.order_id, p.sku) = 1 THEN r.quantity END, 1)
                ELSE p.quantity END AS quantity)
        FROM both_sources p
        LEFT JOIN orders r ON r.amazon_order_id = p.order_id AND r.sku = p.sku"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _order_skus AS
        SELECT order_id, count(DISTINCT sku) AS skus FROM (
            SELECT order_id, sku FROM postings
            UNION ALL SELECT amazon_order_id, sku FROM orders WHERE sku IS NOT NULL)
        GROUP BY order_id"""
    )
    key = "CASE WHEN k.skus > 1 THEN p.order_id || '/' || p.sku ELSE p.order_id END"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE order_lines AS
        SELECT *, {POINTER.format(table="order_lines")} AS evidence FROM (
            SELECT p.order_id, p.sku, any_value(p.currency) AS currency,
                min(p.posted_on) AS posted_on, count(*) AS postings,
                sum(p.principal) AS principal, coalesce(sum(p.shipping), 0) AS shipping,
                coalesce(sum(p.gift_wrap), 0) AS gift_wrap, sum(p.commission) AS commission,
                sum(p.fba_fee) AS fba_fee, sum(p.quantity) AS quantity,
                CAST(sum(p.principal) / sum(p.quantity) AS DECIMAL(18,4)) AS unit_price,
                CAST((sum(p.principal) + coalesce(sum(p.commission), 0)
                      + coalesce(sum(p.fba_fee), 0)) / sum(p.quantity) AS DECIMAL(18,4))
                    AS net_per_unit,
                any_value({key}) AS order_key,
                row_number() OVER () AS _row
            FROM postings p JOIN _order_skus k USING (order_id)
            WHERE p.kind = 'Order'
            GROUP BY p.order_id, p.sku
            HAVING sum(p.principal) IS NOT NULL AND sum(p.quantity) > 0
        )"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE refunds AS
        SELECT *, {POINTER.format(table="refunds")} AS evidence FROM (
            SELECT p.order_id, p.sku, any_value(p.currency) AS currency,
                min(p.posted_on) AS posted_on, count(*) AS postings,
                coalesce(sum(p.principal), 0) AS principal, sum(p.commission) AS commission,
                sum(p.refund_commission) AS refund_commission,
                sum(p.restocking_fee) AS restocking_fee, sum(p.total) AS total,
                bool_and(p.source = 'settlement') AS itemised,
                any_value({key}) AS order_key,
                row_number() OVER () AS _row
            FROM postings p JOIN _order_skus k USING (order_id)
            WHERE p.kind = 'Refund'
            GROUP BY p.order_id, p.sku
        )"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW _pointed_lines AS
        SELECT CASE transaction_type WHEN 'Order' THEN 'order_lines' ELSE 'refunds' END AS kind,
            order_id, sku, 'settlement' AS report, _file_id, _line
        FROM settlement_lines
        WHERE transaction_type IN ('Order', 'Refund') AND order_id IS NOT NULL
          AND sku IS NOT NULL
        UNION ALL
        SELECT CASE type WHEN 'Order' THEN 'order_lines' ELSE 'refunds' END AS kind,
            order_id, sku, 'transactions' AS report, _file_id, _line
        FROM _uncovered_transactions
        WHERE type IN ('Order', 'Refund') AND order_id IS NOT NULL AND sku IS NOT NULL"""
    )
    _sources_note(con, facts)
    _refund_matches(con)


def _refund_matches(con: duckdb.DuckDBPyConnection) -> None:
    """Per refunded order and SKU: the units the returns report and the ledger show coming back,
    and what Amazon reimbursed on that order for that SKU (any reason, net of reversals)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE refund_matches AS
        WITH returned AS (
            SELECT order_id, sku, sum(quantity) AS units,
                list({'report': 'returns', 'file_id': _file_id, 'line': _line}) AS evidence
            FROM returns WHERE order_id IN (SELECT order_id FROM refunds)
            GROUP BY order_id, sku
        ), restocked AS (
            SELECT reference_id AS order_id, msku AS sku, sum(quantity) AS units
            FROM ledger
            WHERE event_type = 'CustomerReturns'
              AND reference_id IN (SELECT order_id FROM refunds)
            GROUP BY ALL
        ), paid AS (
            SELECT r.order_id, r.sku, sum(b.net_quantity) AS units, sum(b.net_amount) AS amount,
                list(b.reimbursement_id ORDER BY b.reimbursement_id) AS ids,
                list({'report': 'reimbursements', 'file_id': b._file_id, 'line': b._line})
                    AS evidence
            FROM refunds r JOIN reimbursements b
              ON b.amazon_order_id = r.order_id AND (b.sku = r.sku OR coalesce(b.sku, '') = '')
            GROUP BY r.order_id, r.sku
        )
        SELECT r.order_id, r.sku, coalesce(t.units, 0) AS returned_units,
            t.evidence AS returned_evidence, coalesce(k.units, 0) AS restocked_units,
            coalesce(p.units, 0) AS reimbursed_units, coalesce(p.amount, 0) AS reimbursed,
            p.ids AS reimbursement_ids, p.evidence AS reimbursed_evidence,
            t.units IS NULL AND k.units IS NULL AS never_returned
        FROM refunds r
        LEFT JOIN returned t USING (order_id, sku)
        LEFT JOIN restocked k USING (order_id, sku)
        LEFT JOIN paid p USING (order_id, sku)"""
    )


def _sources_note(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    """Say which days' order money came from settlements and which from the Date Range report."""
    rows = con.execute(
        """SELECT source, currency, count(*), min(posted_on), max(posted_on) FROM postings
        GROUP BY ALL ORDER BY source, currency"""
    ).fetchall()
    used = {source for source, *_ in rows}
    if used != {"settlement", "transactions"}:
        return
    for source, currency, count, first, last in rows:
        name = "settlement files" if source == "settlement" else "the Date Range report"
        facts.notes.append(
            f"order money: {count} {currency or ''} postings dated {first} to {last} read from "
            f"{name}".replace("  ", " ")
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
