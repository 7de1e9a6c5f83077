"""One pool of lost units per FNSKU, shared by R02 and R08 so that no unit is claimed twice.

The pool's events are the warehouse losses (ledger Adjustments lost M, 5 or damaged E, Q, 6, with
a negative quantity, and the legacy adjustments report's for the days no loaded ledger file
covers) and the deductions from closed inbound shipments (negative Receipts, or Adjustments naming
the shipment, dated after it closed). A deduction is R08's, a loss R02's; a row that is both is
R08's.

A deduction is first offset by what is its shipment's alone: later positive Receipts of the same
shipment and FNSKU, inbound reimbursements for the shipment left over after its shortage, and
units the ledger shows received that the inbound export does not count (its shortage, R04's
claim, already holds them). Adjustments for a reason that is not Amazon's fault (7, H, K, U) are
never deductions.
What is left, and the losses, are then offset once by the FNSKU's found units (F, positive) and its
Lost_Warehouse/Damaged_Warehouse reimbursements (net of reversals, `warehouse_paid`, which R12 also
nets its disposals against). The unresolved units are given to the events newest first.
`loss_events` also holds the disposals (D) R12 reads, which are never the pool's.
"""

from __future__ import annotations

import duckdb

LOST = ("M", "5")
# Not Amazon's fault (expired, customer damaged, defective, distributor damaged): never a deduction
# to claim, whatever shipment it names.
NOT_AMAZONS_FAULT = ("7", "H", "K", "U")
DAMAGED = ("E", "Q", "6")
FOUND = ("F",)
DISPOSED = ("D",)  # R12's, never a loss of the pool
WAREHOUSE_REASONS = ("lost_warehouse", "damaged_warehouse")


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


def loss_pool(con: duckdb.DuckDBPyConnection) -> None:
    pool_codes = _codes(LOST + DAMAGED + FOUND)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE loss_events AS
        WITH ledger_days AS (
            SELECT min_date, max_date FROM files
            WHERE report = 'ledger' AND min_date IS NOT NULL
        )
        SELECT fnsku, asin, msku AS sku, date, reason, quantity, reference_id, event_type,
            country, 'ledger' AS report, _file_id, _line
        FROM ledger
        WHERE (event_type = 'Adjustments' AND reason IN ({pool_codes}))
           OR (event_type IN ('Receipts', 'Adjustments') AND quantity < 0)
        UNION ALL
        SELECT a.fnsku, NULL, a.sku, CAST(a.adjusted_date AS DATE), a.reason, a.quantity,
            a.transaction_item_id, 'Adjustments', NULL, 'adjustments', a._file_id, a._line
        FROM adjustments a
        WHERE a.reason IN ({pool_codes}, {_codes(DISPOSED)}) AND NOT EXISTS (
            SELECT 1 FROM ledger_days d
            WHERE CAST(a.adjusted_date AS DATE) BETWEEN d.min_date AND d.max_date)"""
    )
    # Per FNSKU, the Lost_Warehouse/Damaged_Warehouse reimbursements (net of reversals): the
    # pool's, and what R12 nets disposals against once R02 and R08 took theirs.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE warehouse_paid AS
        SELECT b.fnsku, sum(b.net_quantity) AS units,
            list(b.reimbursement_id ORDER BY b.reimbursement_id)
                FILTER (WHERE b.net_quantity > 0) AS ids,
            list(b.reimbursement_id ORDER BY b.reimbursement_id) AS all_ids,
            list(b.reimbursement_id ORDER BY b.reimbursement_id)
                FILTER (WHERE b.reversal_ids IS NOT NULL AND b.net_quantity <= 0)
                AS reversed_ids,
            flatten(list(coalesce(b.reversal_ids, []))) AS reversal_ids,
            list({{'report': 'reimbursements', 'file_id': b._file_id, 'line': b._line}})
                AS paid_rows,
            list({{'report': 'reimbursements', 'file_id': b._file_id, 'line': b._line}})
                || coalesce(any_value(v.evidence), []) AS evidence
        FROM reimbursements b
        LEFT JOIN (
            SELECT fnsku, list({{'report': 'reimbursements', 'file_id': _file_id,
                                 'line': _line}}) AS evidence
            FROM reimbursement_events
            WHERE lower(reason) = 'reimbursement_reversal' AND original_reimbursement_id IN (
                SELECT reimbursement_id FROM reimbursements
                WHERE lower(reason) IN ({_codes(WAREHOUSE_REASONS)}))
            GROUP BY fnsku
        ) v USING (fnsku)
        WHERE lower(b.reason) IN ({_codes(WAREHOUSE_REASONS)}) GROUP BY b.fnsku"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE loss_pool AS
        WITH deductions AS (
            SELECT e.*, -e.quantity AS units, 'R08' AS owner, s.shipment_id,
                s.reimbursed_left_over, s.short_in_export, s.evidence AS inbound_paid_evidence,
                s.sku AS inbound_sku
            FROM loss_events e
            JOIN inbound_status s ON s.shipment_id = e.reference_id AND s.fnsku = e.fnsku
            WHERE e.report = 'ledger' AND s.closed AND e.date > s.closed_on AND e.quantity < 0
              AND e.event_type IN ('Receipts', 'Adjustments')
              AND coalesce(e.reason, '') NOT IN ({_codes(NOT_AMAZONS_FAULT)})
        ), losses AS (
            SELECT e.*, -e.quantity AS units, 'R02' AS owner,
                CAST(NULL AS VARCHAR) AS shipment_id, 0 AS reimbursed_left_over,
                0 AS short_in_export,
                NULL AS inbound_paid_evidence,
                CAST(NULL AS VARCHAR) AS inbound_sku
            FROM loss_events e
            WHERE e.reason IN ({_codes(LOST + DAMAGED)}) AND e.quantity < 0
              AND NOT EXISTS (SELECT 1 FROM deductions d WHERE d.report = e.report
                              AND d._file_id = e._file_id AND d._line = e._line)
        ), restored AS (
            SELECT l.reference_id AS shipment_id, l.fnsku, sum(l.quantity) AS units,
                list({{'report': 'ledger', 'file_id': l._file_id, 'line': l._line}}) AS evidence
            FROM ledger l
            WHERE l.event_type = 'Receipts' AND l.quantity > 0 AND EXISTS (
                SELECT 1 FROM deductions d WHERE d.shipment_id = l.reference_id
                  AND d.fnsku = l.fnsku AND l.date >= d.date)
            GROUP BY ALL
        ), shipment_left AS (
            SELECT d.*, r.evidence AS restored_evidence,
                sum(d.units) OVER (PARTITION BY d.shipment_id, d.fnsku)
                    - coalesce(r.units, 0) - d.reimbursed_left_over - d.short_in_export
                    AS unresolved,
                coalesce(sum(d.units) OVER (
                    PARTITION BY d.shipment_id, d.fnsku
                    ORDER BY d.date DESC, d._file_id DESC, d._line DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
            FROM deductions d LEFT JOIN restored r USING (shipment_id, fnsku)
        ), events AS (
            SELECT * EXCLUDE (unresolved, newer),
                least(units, greatest(unresolved - newer, 0)) AS open_units
            FROM shipment_left
            UNION ALL BY NAME
            SELECT *, NULL AS restored_evidence, units AS open_units FROM losses
        ), found AS (
            SELECT fnsku, sum(quantity) AS units,
                list({{'report': report, 'file_id': _file_id, 'line': _line}}) AS evidence
            FROM loss_events WHERE reason IN ({_codes(FOUND)}) AND quantity > 0 GROUP BY fnsku
        ), paid AS (
            SELECT * FROM warehouse_paid
        ), pooled AS (
            SELECT e.*, f.evidence AS found_evidence, p.evidence AS paid_evidence,
                coalesce(f.units, 0) AS found_units, coalesce(p.units, 0) AS paid_units,
                p.ids AS paid_ids, p.reversed_ids, p.reversal_ids,
                sum(e.open_units) OVER (PARTITION BY e.fnsku) AS pool_units,
                sum(e.open_units) OVER (PARTITION BY e.fnsku) - coalesce(f.units, 0)
                    - coalesce(p.units, 0) AS unresolved,
                coalesce(sum(e.open_units) OVER (
                    PARTITION BY e.fnsku ORDER BY e.date DESC, e.report, e._file_id DESC,
                        e._line DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
            FROM events e LEFT JOIN found f USING (fnsku) LEFT JOIN paid p USING (fnsku)
        )
        SELECT p.* EXCLUDE (newer),
            least(p.open_units, greatest(p.unresolved - p.newer, 0)) AS claimed_units,
            event_currency(p.country, h.currency) AS currency
        FROM pooled p LEFT JOIN sku_currency h ON h.sku = coalesce(p.sku, p.inbound_sku)"""
    )
