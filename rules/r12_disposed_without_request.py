"""R12 inventory.disposed_without_request — units destroyed that the seller never asked to
dispose of.

What it detects:
    Units the inventory ledger shows disposed of (Adjustments, reason D) that no Disposal removal
    order of the seller's, requested on or before the disposal, covers, and that Amazon has not
    reimbursed.

Reports needed:
    Inventory ledger (or the legacy adjustments report for days no ledger file covers); Removal
    Order Detail; reimbursements.

How it matches:
    Per FNSKU, disposals oldest first: the disposed quantity of the FNSKU's Disposal removal
    orders (each order's newest download) covers the disposals dated on or after its request
    date. A disposal the seller's account makes of unfulfillable units automatically appears as
    such an order, so it is covered too. The units left uncovered are netted against the
    FNSKU's Lost_Warehouse and Damaged_Warehouse reimbursements that R02 and R08 leave over (one
    pool: R02 and R08 take theirs first), and what remains is given to the disposals newest
    first. A disposal that is an inbound deduction R08 claims is R08's, never also R12's.

What is claimed and how it is valued:
    One finding per FNSKU and status, like R02: units x unit value before an order (catalog
    cost, else the 18-month median net proceeds in the loss's currency, else unknown). Key =
    FNSKU. Evidence: the disposal rows and the reimbursements counted against them.

Window:
    From each disposal's date, 60 days.

Example:
    Flagged: 3 vases disposed of (D) with no Disposal removal order: 3 x cost.
    Passes: 3 units disposed after a Disposal order of 3 requested the week before; a disposal
    already reimbursed under Damaged_Warehouse beyond what R02's losses took.
"""

from rules.base import Rule, closing, details, has, ids, remains, units, were, when


def query(ctx: dict) -> str:
    return """
    WITH own AS (
        -- the disposals, but not an inbound deduction R08 claims
        SELECT fnsku, sku, asin, date, -quantity AS units, reference_id, country, report,
            _file_id, _line
        FROM loss_events d
        WHERE event_type = 'Adjustments' AND reason = 'D' AND quantity < 0
          AND NOT EXISTS (SELECT 1 FROM loss_pool p WHERE p.owner = 'R08'
                          AND p.report = d.report AND p._file_id = d._file_id
                          AND p._line = d._line)
    ), ordered AS (
        SELECT fnsku, CAST(any_value(request_date) AS DATE) AS requested_on,
            sum(coalesce(disposed_quantity, 0)) AS units
        FROM removal_lines WHERE lower(order_type) = 'disposal'
        GROUP BY order_id, fnsku
    ), running AS (
        SELECT o.*,
            sum(o.units) OVER (PARTITION BY o.fnsku ORDER BY o.date, o.report, o._file_id,
                               o._line ROWS UNBOUNDED PRECEDING) AS disposed_so_far,
            (SELECT coalesce(sum(r.units), 0) FROM ordered r
             WHERE r.fnsku = o.fnsku AND r.requested_on <= o.date) AS ordered_so_far
        FROM own o
    ), deficit AS (
        -- units disposed with no order to cover them, so far (orders cover later disposals
        -- only): the running maximum of disposed minus ordered
        SELECT *, greatest(0, max(disposed_so_far - ordered_so_far) OVER (
            PARTITION BY fnsku ORDER BY date, report, _file_id, _line
            ROWS UNBOUNDED PRECEDING)) AS unmatched
        FROM running
    ), uncovered AS (
        SELECT *, unmatched - coalesce(lag(unmatched) OVER (
            PARTITION BY fnsku ORDER BY date, report, _file_id, _line), 0) AS open_units
        FROM deficit
    ), pool AS (
        SELECT fnsku, sum(open_units) AS units, any_value(found_units) AS found
        FROM loss_pool GROUP BY fnsku
    ), left_over AS (
        -- warehouse reimbursements beyond what R02's losses and R08's deductions take
        SELECT w.fnsku,
            greatest(0, w.units - greatest(0, coalesce(p.units, 0) - coalesce(p.found, 0)))
                AS units,
            w.all_ids AS ids, w.paid_rows AS evidence
        FROM warehouse_paid w LEFT JOIN pool p USING (fnsku)
    ), given AS (
        SELECT u.*, coalesce(l.units, 0) AS paid_units, l.ids AS paid_ids,
            l.evidence AS paid_evidence,
            sum(u.open_units) OVER (PARTITION BY u.fnsku) AS total,
            coalesce(sum(u.open_units) OVER (
                PARTITION BY u.fnsku ORDER BY u.date DESC, u.report, u._file_id DESC,
                    u._line DESC
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
        FROM uncovered u LEFT JOIN left_over l USING (fnsku)
        WHERE u.open_units > 0
    ), claimed AS (
        SELECT *, least(open_units, greatest(total - paid_units - newer, 0)) AS units_claimed,
            event_currency(country, h.currency) AS currency
        FROM given LEFT JOIN sku_currency h USING (sku)
    )
    SELECT c.fnsku AS key, c.sku, c.fnsku, c.asin, c.date AS anchor_date,
        c.units_claimed AS quantity, c.units_claimed * v.value AS amount, c.currency,
        coalesce(v.valuation, 'unknown') AS valuation, v.value AS unit_value,
        [c.reference_id] AS refs,
        ['disposed=' || c.total, 'paid=' || least(c.paid_units, c.total)]
            || CASE WHEN c.paid_units > 0
                    THEN list_transform(c.paid_ids, lambda i: 'reimbursement=' || i)
                    ELSE [] END AS details,
        list_concat([{'report': c.report, 'file_id': c._file_id, 'line': c._line}],
                    CASE WHEN c.paid_units > 0 THEN c.paid_evidence ELSE [] END) AS evidence
    FROM claimed c
    LEFT JOIN unit_values v ON v.sku = c.sku AND v.currency = c.currency
    WHERE c.units_claimed > 0
    """


def summarize(f: dict) -> str:
    facts = details(f)
    n = f["quantity"]
    paid = int(facts["paid"][0])
    made_good = (
        f" Amazon's warehouse reimbursements left over for this FNSKU cover {paid} "
        f"(reimbursement {ids(facts.get('reimbursement'))}); {units(n)} "
        f"{remains(n)}."
        if paid
        else ""
    )
    return (
        f"{units(n)} of FNSKU {f['fnsku']} (SKU {f['sku']}) {were(n)} disposed of by Amazon "
        f"{when(f)} (reference {ids(f['refs'], 6)}) without a disposal order of ours and "
        f"{has(n)} not been reimbursed.{made_good} " + closing(f)
    )


RULE = Rule(
    code="R12",
    slug="inventory.disposed_without_request",
    title="Units destroyed that the seller never asked to dispose of",
    needs=(("ledger", "adjustments"), ("removals",), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
