"""R04 inbound.shortage — units lost or damaged on the way into Amazon.

What it detects:
    A closed inbound shipment that Amazon received fewer units of than were shipped, with the
    difference not reimbursed.

Reports needed:
    Inbound shipment items; reimbursements; the inventory ledger (for the closed date when the
    export has none).

How it matches:
    Per shipment and FNSKU of a CLOSED shipment: QuantityShipped - QuantityReceived - units
    reimbursed for that shipment under Lost_Inbound or Damaged_Inbound (net of reversals). An
    inbound reimbursement that names no shipment offsets the FNSKU's oldest open shortage of a
    CLOSED shipment only: a shipment still receiving has no shortage yet. A CLOSED shipment with
    no closed date from either source is listed in the run's notes as not checked.

What is claimed and how it is valued:
    The missing units x unit value before an order (catalog cost, else the 18-month median net
    proceeds in the SKU's own currency, else unknown). Key = shipment id/FNSKU.

Window:
    From the shipment's closed date, shared by all its lines: the export's ClosedDate, else the
    day of the shipment's last positive ledger Receipt of any FNSKU (so a line that received
    nothing closes with its shipment); 60 days.

Example:
    Flagged: 60 yoga mats shipped, 56 received, 1 reimbursed: 3 x cost.
    Passes: a shipment still RECEIVING; a closed shipment whose 2 missing units were reimbursed,
    with or without the shipment id on the reimbursement.
"""

from rules.base import Rule, closing, details, ids, units, were


def query(ctx: dict) -> str:
    return """
    SELECT s.shipment_id || '/' || s.fnsku AS key, s.sku, s.fnsku, s.shipment_id,
        s.closed_on AS anchor_date, s.open_after_named - s.reimbursed_loose AS quantity,
        (s.open_after_named - s.reimbursed_loose) * v.value AS amount,
        event_currency(NULL, h.currency) AS currency,
        coalesce(v.valuation, 'unknown') AS valuation, v.value AS unit_value,
        [s.shipment_id] AS refs,
        ['shipped=' || coalesce(s.quantity_shipped, 0),
         'received=' || coalesce(s.quantity_received, 0),
         'paid=' || (least(s.reimbursed_named, s.shortage) + s.reimbursed_loose)]
            || list_transform(list_concat(coalesce(s.named_ids, []), coalesce(s.loose_ids, [])),
                              lambda i: 'reimbursement=' || i) AS details,
        list_concat([{'report': 'inbound', 'file_id': s._file_id, 'line': s._line}],
                    coalesce(s.evidence, []), coalesce(s.loose_evidence, [])) AS evidence
    FROM inbound_status s
    LEFT JOIN sku_currency h ON h.sku = s.sku
    LEFT JOIN unit_values v ON v.sku = s.sku AND v.currency = event_currency(NULL, h.currency)
    WHERE s.closed AND s.open_after_named - s.reimbursed_loose > 0
    """


def summarize(f: dict) -> str:
    facts = details(f)
    shipped, received = int(facts["shipped"][0]), int(facts["received"][0])
    paid = int(facts["paid"][0])
    n = f["quantity"]
    text = (
        f"Shipment {f['shipment_id']} closed on {f['event_date']}: of FNSKU {f['fnsku']} "
        f"(SKU {f['sku']}) {units(shipped)} {were(shipped)} shipped and {received} received, "
        f"{shipped - received} short."
    )
    if paid > 0:
        text += (
            f" Amazon reimbursed {paid} of them (reimbursement "
            f"{ids(facts.get('reimbursement'))}), which leaves {units(n)} never received or "
            "reimbursed."
        )
    else:
        text += f" {'None was' if shipped - received == 1 else 'None were'} reimbursed."
    return f"{text} {closing(f)}"


RULE = Rule(
    code="R04",
    slug="inbound.shortage",
    title="Units lost or damaged on the way into Amazon",
    needs=(("inbound",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
