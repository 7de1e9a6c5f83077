"""R02 inventory.warehouse_lost_damaged — units lost or damaged in Amazon's warehouse and not
made good.

What it detects:
    Units an Amazon fulfilment centre lost (codes M, 5) or damaged (E, Q, 6) that were neither
    found again (F) nor reimbursed.

Reports needed:
    Inventory ledger (or the legacy adjustments report for periods the ledger does not cover);
    reimbursements.

How it matches:
    Per FNSKU over its whole history: unresolved = lost + damaged - found - units reimbursed
    under Lost_Warehouse or Damaged_Warehouse (cash and inventory, net of reversals). Nothing when
    unresolved <= 0. The unresolved units are given to the loss events newest first; units on
    events inside their window are claimable, the rest expired.

What is claimed and how it is valued:
    One finding per FNSKU and status: its units x unit value before an order (catalog cost, else
    the 18-month median net proceeds, else unknown). Key = FNSKU. Evidence: the loss rows with
    their reference ids, the found rows and the reimbursements counted against them.

Window:
    From each adjustment's date, 60 days.

Example:
    Flagged: 3 towel sets lost (M) nine weeks before the audit, never found or reimbursed: 3 x
    catalog cost. A loss reimbursed and then reversed comes back as a claim.
    Passes: a bottle lost and found a week later; 2 leashes lost, reimbursed 1 in cash and 1 in
    inventory; a bib damaged by the customer (H).
"""

from rules.base import Rule, ids, money, units

LOST = ("M", "5")
DAMAGED = ("E", "Q", "6")


def query(ctx: dict) -> str:
    codes = ", ".join(f"'{c}'" for c in LOST + DAMAGED + ("F",))
    return f"""
    WITH ledger_start AS (SELECT min(date) AS first_day FROM ledger),
    events AS (
        SELECT fnsku, asin, msku AS sku, date, reason, quantity, reference_id,
            'ledger' AS report, _file_id, _line
        FROM ledger WHERE event_type = 'Adjustments' AND reason IN ({codes})
        UNION ALL
        SELECT a.fnsku, NULL, a.sku, CAST(a.adjusted_date AS DATE), a.reason, a.quantity,
            a.transaction_item_id, 'adjustments', a._file_id, a._line
        FROM adjustments a, ledger_start s
        WHERE a.reason IN ({codes})
          AND (s.first_day IS NULL OR CAST(a.adjusted_date AS DATE) < s.first_day)
    ), losses AS (
        SELECT *, abs(quantity) AS units FROM events WHERE reason <> 'F'
    ), found AS (
        SELECT fnsku, sum(abs(quantity)) AS units,
            list({{'report': report, 'file_id': _file_id, 'line': _line}}) AS evidence
        FROM events WHERE reason = 'F' GROUP BY fnsku
    ), paid AS (
        SELECT fnsku, sum(net_quantity) AS units, list(reimbursement_id) AS ids,
            list({{'report': 'reimbursements', 'file_id': _file_id, 'line': _line}})
                AS evidence
        FROM reimbursements
        WHERE lower(reason) IN ('lost_warehouse', 'damaged_warehouse') GROUP BY fnsku
    ), balance AS (
        SELECT l.fnsku, sum(l.units) - coalesce(any_value(f.units), 0)
            - coalesce(any_value(p.units), 0) AS unresolved
        FROM losses l LEFT JOIN found f USING (fnsku) LEFT JOIN paid p USING (fnsku)
        GROUP BY l.fnsku
    ), newest_first AS (
        SELECT l.*, b.unresolved,
            coalesce(sum(l.units) OVER (PARTITION BY l.fnsku ORDER BY l.date DESC, l._line DESC
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
        FROM losses l JOIN balance b USING (fnsku)
        WHERE b.unresolved > 0
    ), claimed AS (
        SELECT *, least(units, unresolved - newer) AS claimed_units
        FROM newest_first WHERE unresolved - newer > 0
    )
    SELECT c.fnsku AS key, c.sku, c.fnsku, c.asin, c.date AS anchor_date,
        c.claimed_units AS quantity, c.claimed_units * v.value AS amount,
        coalesce(v.currency, 'USD') AS currency, coalesce(v.valuation, 'unknown') AS valuation,
        v.value AS unit_value,
        [c.reference_id] AS refs,
        list_concat([{{'report': c.report, 'file_id': c._file_id, 'line': c._line}}],
                    coalesce(f.evidence, []), coalesce(p.evidence, [])) AS evidence
    FROM claimed c
    LEFT JOIN unit_values v ON v.sku = c.sku
    LEFT JOIN found f USING (fnsku)
    LEFT JOIN paid p USING (fnsku)
    """


def summarize(f: dict) -> str:
    when = (
        f"on {f['event_date']}"
        if f["event_date"] == f["last_date"]
        else f"between {f['event_date']} and {f['last_date']}"
    )
    value = (
        f" at {money(f['unit_value'], f['currency'])} each"
        if f["unit_value"] is not None
        else "; this SKU needs a unit cost in the catalog to value them"
    )
    return (
        f"{units(f['quantity'])} of FNSKU {f['fnsku']} (SKU {f['sku']}) were lost or damaged in "
        f"Amazon's fulfilment centres {when} (reference {ids(f['refs'], 6)}) and have not been "
        f"found or reimbursed; we request {money(f['amount'], f['currency'])}{value}."
    )


RULE = Rule(
    code="R02",
    slug="inventory.warehouse_lost_damaged",
    title="Units lost or damaged in Amazon's warehouse and not made good",
    needs=(("ledger", "adjustments"), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
