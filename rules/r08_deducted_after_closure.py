"""R08 inbound.deducted_after_closure — received units taken away after the shipment closed.

What it detects:
    Units of a closed inbound shipment that Amazon removed from the received count afterwards
    (a negative Receipt, or an adjustment naming the shipment) and never gave back.

Reports needed:
    Inventory ledger; inbound shipment items; reimbursements.

How it matches:
    Per shipment and FNSKU: ledger Receipts with a negative quantity, or Adjustments whose
    Reference ID is the shipment id, dated after the shipment's closed date. Identical deduction
    rows are separate deductions. Offsets: later positive Receipts for the same shipment and
    FNSKU, and inbound reimbursements for the shipment left over after R04's shortage took what
    it needs. What remains is given to the deductions newest first.

What is claimed and how it is valued:
    The units x unit value before an order (catalog cost, else the 18-month median net
    proceeds, else unknown). Key = shipment id/FNSKU.

Window:
    From each deduction's date, 60 days.

Example:
    Flagged: 30 cutting boards received, the shipment closed, and 15 days later a Receipts row
    of -2: 2 x cost.
    Passes: a -1 Receipts row put back by a +1 Receipts row a week later.
"""

from rules.base import Rule, money, units


def query(ctx: dict) -> str:
    return """
    WITH deductions AS (
        SELECT l.*, s.closed_on, s.reimbursed_left_over, s.sku AS inbound_sku, -l.quantity AS units
        FROM ledger l
        JOIN inbound_status s ON s.shipment_id = l.reference_id AND s.fnsku = l.fnsku
        WHERE s.status = 'CLOSED' AND s.closed_on IS NOT NULL AND l.date > s.closed_on
          AND l.quantity < 0 AND l.event_type IN ('Receipts', 'Adjustments')
    ), restored AS (
        SELECT l.reference_id AS shipment_id, l.fnsku, sum(l.quantity) AS units,
            list({'report': 'ledger', 'file_id': l._file_id, 'line': l._line}) AS evidence
        FROM ledger l
        WHERE l.event_type = 'Receipts' AND l.quantity > 0 AND EXISTS (
            SELECT 1 FROM deductions d WHERE d.reference_id = l.reference_id
              AND d.fnsku = l.fnsku AND l.date >= d.date)
        GROUP BY ALL
    ), balance AS (
        SELECT d.reference_id AS shipment_id, d.fnsku,
            sum(d.units) - coalesce(any_value(r.units), 0) - any_value(d.reimbursed_left_over)
                AS unresolved
        FROM deductions d LEFT JOIN restored r
          ON r.shipment_id = d.reference_id AND r.fnsku = d.fnsku
        GROUP BY ALL
    ), newest_first AS (
        SELECT d.*, b.unresolved,
            coalesce(sum(d.units) OVER (
                PARTITION BY d.reference_id, d.fnsku ORDER BY d.date DESC, d._line DESC
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
        FROM deductions d JOIN balance b
          ON b.shipment_id = d.reference_id AND b.fnsku = d.fnsku
        WHERE b.unresolved > 0
    )
    SELECT n.reference_id || '/' || n.fnsku AS key, coalesce(n.msku, n.inbound_sku) AS sku,
        n.fnsku, n.asin, n.reference_id AS shipment_id, n.date AS anchor_date,
        least(n.units, n.unresolved - n.newer) AS quantity,
        least(n.units, n.unresolved - n.newer) * v.value AS amount,
        coalesce(v.currency, 'USD') AS currency, coalesce(v.valuation, 'unknown') AS valuation,
        v.value AS unit_value, [n.reference_id] AS refs,
        list_concat([{'report': 'ledger', 'file_id': n._file_id, 'line': n._line}],
                    coalesce(r.evidence, [])) AS evidence
    FROM newest_first n
    LEFT JOIN restored r ON r.shipment_id = n.reference_id AND r.fnsku = n.fnsku
    LEFT JOIN unit_values v ON v.sku = coalesce(n.msku, n.inbound_sku)
    WHERE n.unresolved - n.newer > 0
    """


def summarize(f: dict) -> str:
    return (
        f"After shipment {f['shipment_id']} closed, {units(f['quantity'])} of FNSKU "
        f"{f['fnsku']} (SKU {f['sku']}) already received were deducted from our inventory "
        f"({f['event_date']}) and never restored or reimbursed; we request "
        f"{money(f['amount'], f['currency'])}."
    )


RULE = Rule(
    code="R08",
    slug="inbound.deducted_after_closure",
    title="Received units taken away after the shipment closed",
    needs=(("ledger",), ("inbound",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
