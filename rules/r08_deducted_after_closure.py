"""R08 inbound.deducted_after_closure — received units taken away after the shipment closed.

What it detects:
    Units of a closed inbound shipment that Amazon removed from the received count afterwards
    (a negative Receipt, or an adjustment naming the shipment) and never gave back.

Reports needed:
    Inventory ledger; inbound shipment items; reimbursements.

How it matches:
    Per shipment and FNSKU: ledger Receipts with a negative quantity, or Adjustments whose
    Reference ID is the shipment id, dated after the shipment's closed date (the shipment's, not
    the FNSKU's own last receipt: see R04). Identical deduction rows are separate deductions.
    Offsets of the shipment: later positive Receipts for the same shipment and FNSKU, and
    inbound reimbursements for the shipment left over after R04's shortage took what it needs.
    The deductions then share one pool per FNSKU with R02's losses: found units and
    Lost_Warehouse/Damaged_Warehouse reimbursements offset it once, newest events keep their
    units. A deduction is R08's claim and never also R02's.

What is claimed and how it is valued:
    The units x unit value before an order (catalog cost, else the 18-month median net
    proceeds in the currency of the deduction's country, else unknown). Key = shipment
    id/FNSKU.

Window:
    From each deduction's date, 60 days.

Example:
    Flagged: 30 cutting boards received, the shipment closed, and 15 days later a Receipts row
    of -2: 2 x cost.
    Passes: a -1 Receipts row put back by a +1 Receipts row a week later; an M -2 adjustment
    naming the shipment that Amazon reimbursed under Lost_Warehouse.
"""

from rules.base import Rule, each, request, units, were


def query(ctx: dict) -> str:
    return """
    SELECT p.shipment_id || '/' || p.fnsku AS key, coalesce(p.sku, p.inbound_sku) AS sku,
        p.fnsku, p.asin, p.shipment_id, p.date AS anchor_date,
        p.claimed_units AS quantity, p.claimed_units * v.value AS amount, p.currency,
        coalesce(v.valuation, 'unknown') AS valuation, v.value AS unit_value,
        [p.shipment_id] AS refs,
        list_concat([{'report': 'ledger', 'file_id': p._file_id, 'line': p._line}],
                    coalesce(p.restored_evidence, []), coalesce(p.found_evidence, []),
                    coalesce(p.paid_evidence, []),
                    CASE WHEN p.reimbursed_left_over > 0 THEN p.inbound_paid_evidence END)
            AS evidence
    FROM loss_pool p
    LEFT JOIN unit_values v ON v.sku = coalesce(p.sku, p.inbound_sku) AND v.currency = p.currency
    WHERE p.owner = 'R08' AND p.claimed_units > 0
    """


def summarize(f: dict) -> str:
    return (
        f"After shipment {f['shipment_id']} closed, {units(f['quantity'])} of FNSKU "
        f"{f['fnsku']} (SKU {f['sku']}) already received {were(f['quantity'])} deducted from our "
        f"inventory ({f['event_date']}) and never restored or reimbursed; {request(f)}{each(f)}."
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
