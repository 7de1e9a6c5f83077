"""R11 removal.shortfall — units sent for removal that Amazon never shipped, disposed or cancelled.

What it detects:
    Completed removal orders (returns to the seller and disposals) whose requested units are
    not all accounted for as cancelled, disposed or shipped, and not reimbursed.

Reports needed:
    Removal Order Detail; reimbursements.

How it matches:
    Per removal order and FNSKU, on the newest row of each of its lines (a removal order is
    downloaded again as it progresses): when the order's status is Completed and no units are
    in process, missing = requested - cancelled - disposed - shipped. Units reimbursed on that
    removal order id (any reason, net of reversals) come off. Nothing when missing <= 0.

What is claimed and how it is valued:
    One finding per removal order and FNSKU: missing units x unit value before an order
    (catalog cost, else the 18-month median net proceeds in the SKU's currency, else unknown).
    Key = removal-order-id/FNSKU. Evidence: the removal order's rows and the reimbursements
    counted against it.

Window:
    From the removal order's last-updated-date, 60 days.

Example:
    Flagged: 10 mats requested for return, 6 shipped, 0 cancelled or disposed, order Completed:
    4 x cost.
    Passes: an order still Pending or with units in process; a cancelled quantity that covers
    the gap; a shortfall Amazon already reimbursed on the removal order.
"""

from rules.base import Rule, closing, details, ids, units, were


def query(ctx: dict) -> str:
    return """
    WITH orders AS (
        SELECT order_id, fnsku, any_value(sku) AS sku, any_value(order_type) AS order_type,
            bool_and(lower(order_status) = 'completed') AS completed,
            sum(coalesce(in_process_quantity, 0)) AS in_process,
            sum(coalesce(requested_quantity, 0)) AS requested,
            sum(coalesce(cancelled_quantity, 0)) AS cancelled,
            sum(coalesce(disposed_quantity, 0)) AS disposed,
            sum(coalesce(shipped_quantity, 0)) AS shipped,
            max(CAST(last_updated_date AS DATE)) AS updated, any_value(currency) AS currency,
            list({'report': 'removals', 'file_id': _file_id, 'line': _line}) AS evidence
        FROM removal_lines GROUP BY order_id, fnsku
    ), paid AS (
        SELECT b.amazon_order_id AS order_id, b.fnsku, sum(b.net_quantity) AS units,
            list(b.reimbursement_id ORDER BY b.reimbursement_id) AS ids,
            list({'report': 'reimbursements', 'file_id': b._file_id, 'line': b._line})
                AS evidence
        FROM reimbursements b
        WHERE b.amazon_order_id IN (SELECT order_id FROM orders)
        GROUP BY ALL
    ), short AS (
        SELECT o.*, o.requested - o.cancelled - o.disposed - o.shipped AS missing,
            coalesce(p.units, 0) AS paid_units, p.ids AS paid_ids,
            p.evidence AS paid_evidence,
            coalesce(o.currency, h.currency, 'USD') AS claim_currency
        FROM orders o
        LEFT JOIN paid p ON p.order_id = o.order_id AND p.fnsku = o.fnsku
        LEFT JOIN sku_currency h ON h.sku = o.sku
        WHERE o.completed AND o.in_process = 0
    )
    SELECT s.order_id || '/' || s.fnsku AS key, s.sku, s.fnsku, s.updated AS anchor_date,
        s.missing - greatest(s.paid_units, 0) AS quantity,
        (s.missing - greatest(s.paid_units, 0)) * v.value AS amount,
        s.claim_currency AS currency, coalesce(v.valuation, 'unknown') AS valuation,
        v.value AS unit_value, [s.order_id] AS refs,
        ['removal=' || s.order_id, 'type=' || coalesce(s.order_type, ''),
         'requested=' || s.requested, 'cancelled=' || s.cancelled,
         'disposed=' || s.disposed, 'shipped=' || s.shipped, 'paid=' || s.paid_units]
            || list_transform(coalesce(s.paid_ids, []), lambda i: 'reimbursement=' || i)
            AS details,
        list_concat(s.evidence, coalesce(s.paid_evidence, [])) AS evidence
    FROM short s
    LEFT JOIN unit_values v ON v.sku = s.sku AND v.currency = s.claim_currency
    WHERE s.missing - greatest(s.paid_units, 0) > 0
    """


def summarize(f: dict) -> str:
    facts = details(f)
    requested = int(facts["requested"][0])
    n = f["quantity"]
    kind = facts["type"][0].lower() or "removal"
    paid = int(facts["paid"][0])
    text = (
        f"Removal order {facts['removal'][0]} ({kind}) for FNSKU {f['fnsku']} (SKU {f['sku']}) "
        f"is Completed: {units(requested)} {were(requested)} requested, "
        f"{facts['cancelled'][0]} cancelled, {facts['disposed'][0]} disposed and "
        f"{facts['shipped'][0]} shipped"
    )
    if paid > 0:
        text += f", and Amazon reimbursed {paid} (reimbursement {ids(facts.get('reimbursement'))})"
    text += f"; {units(n)} {were(n)} never shipped, disposed or cancelled. " + closing(f)
    return text


RULE = Rule(
    code="R11",
    slug="removal.shortfall",
    title="Units sent for removal that Amazon never shipped, disposed or cancelled",
    needs=(("removals",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
