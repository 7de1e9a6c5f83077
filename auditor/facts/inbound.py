"""Inbound shipment items: shortage, closed date and the inbound reimbursements against them."""

from __future__ import annotations

import datetime as dt

import duckdb


def inbound_status(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
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
