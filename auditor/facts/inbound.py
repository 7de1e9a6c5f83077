"""Inbound shipment items: shortage, closed date and the inbound reimbursements against them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from auditor.facts import Facts


def inbound_status(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    """Per shipment item: shortage, reimbursements for it, and what is left over after the
    shortage (rules R04, R08).

    A shipment closes once for all its lines: on the export's ClosedDate, else on the day of its
    last positive ledger Receipt of any FNSKU, so a line with nothing received closes with its
    shipment. A CLOSED shipment with neither is listed in the run's notes, not skipped silently.
    An inbound reimbursement naming no shipment offsets its FNSKU's oldest open shortage of a
    CLOSED shipment (Convention): a shipment still receiving has no shortage yet."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE shipment_closed AS
        WITH exported AS (
            SELECT shipment_id, max(closed_date) AS closed_date FROM inbound_items
            GROUP BY shipment_id
        ), received AS (
            SELECT reference_id AS shipment_id, max(date) AS last_receipt FROM ledger
            WHERE event_type = 'Receipts' AND quantity > 0
              AND reference_id IN (SELECT shipment_id FROM inbound_items)
            GROUP BY reference_id
        )
        SELECT shipment_id, coalesce(e.closed_date, r.last_receipt) AS closed_on
        FROM exported e LEFT JOIN received r USING (shipment_id)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE inbound_status AS
        WITH items AS (
            SELECT i.shipment_id, i.fnsku, i.seller_sku AS sku, upper(i.shipment_status) AS status,
                i.quantity_shipped, i.quantity_received,
                greatest(coalesce(i.quantity_shipped, 0) - coalesce(i.quantity_received, 0), 0)
                    AS shortage,
                c.closed_on,
                upper(i.shipment_status) = 'CLOSED' AND c.closed_on IS NOT NULL AS closed,
                i._file_id, i._line
            FROM inbound_items i JOIN shipment_closed c USING (shipment_id)
        ), arrived AS (
            -- what the ledger shows received: an export counting fewer has the difference in
            -- its shortage already (R04's), so a later deduction of it is not R08's again
            SELECT reference_id AS shipment_id, fnsku, sum(quantity) AS units FROM ledger
            WHERE event_type = 'Receipts' AND quantity > 0
              AND reference_id IN (SELECT shipment_id FROM inbound_items)
            GROUP BY ALL
        ), paid AS (
            SELECT amazon_order_id AS shipment_id, fnsku, sum(net_quantity) AS units,
                list(reimbursement_id ORDER BY reimbursement_id) AS ids,
                list({'report': 'reimbursements', 'file_id': _file_id, 'line': _line})
                    AS evidence
            FROM reimbursements
            WHERE lower(reason) IN ('lost_inbound', 'damaged_inbound')
            GROUP BY ALL
        ), loose AS (
            SELECT fnsku, sum(units) AS units, flatten(list(ids)) AS ids,
                flatten(list(evidence)) AS evidence
            FROM paid WHERE coalesce(shipment_id, '') = '' GROUP BY fnsku
        ), named AS (
            SELECT i.*, coalesce(p.units, 0) AS reimbursed_named, p.ids AS named_ids,
                p.evidence,
                greatest(i.shortage - coalesce(p.units, 0), 0) AS open_after_named,
                least(i.shortage, greatest(coalesce(a.units, 0)
                                           - coalesce(i.quantity_received, 0), 0))
                    AS short_in_export
            FROM items i
            LEFT JOIN paid p ON p.shipment_id = i.shipment_id AND p.fnsku = i.fnsku
            LEFT JOIN arrived a ON a.shipment_id = i.shipment_id AND a.fnsku = i.fnsku
        ), oldest_first AS (
            SELECT n.*, l.evidence AS loose_evidence, l.ids AS loose_ids,
                CASE WHEN n.closed THEN least(n.open_after_named, greatest(
                    coalesce(l.units, 0) - coalesce(sum(n.open_after_named)
                        FILTER (WHERE n.closed) OVER (
                            PARTITION BY n.fnsku ORDER BY n.closed_on, n.shipment_id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0))
                     ELSE 0 END AS reimbursed_loose
            FROM named n LEFT JOIN loose l USING (fnsku)
        )
        SELECT * REPLACE (CASE WHEN reimbursed_loose > 0 THEN loose_evidence END
                          AS loose_evidence,
                          CASE WHEN reimbursed_loose > 0 THEN loose_ids END AS loose_ids),
            greatest(reimbursed_named - shortage, 0) AS reimbursed_left_over
        FROM oldest_first"""
    )
    unchecked = con.execute(
        """SELECT shipment_id FROM inbound_status WHERE status = 'CLOSED' AND closed_on IS NULL
        GROUP BY shipment_id ORDER BY shipment_id"""
    ).fetchall()
    if unchecked:
        facts.notes.append(
            "R04, R08: not checked: no closed date for CLOSED shipment "
            + ", ".join(s for (s,) in unchecked)
            + "; add its ClosedDate to the inbound export, or load the inventory ledger that "
            "shows its receipts"
        )
