"""R02 inventory.warehouse_lost_damaged — units lost or damaged in Amazon's warehouse and not
made good.

What it detects:
    Units an Amazon fulfilment centre lost (codes M, 5) or damaged (E, Q, 6) that were neither
    found again (F) nor reimbursed.

Reports needed:
    Inventory ledger, and the legacy adjustments report for every day no loaded ledger file
    covers (before the first, after the last, or in a gap); reimbursements.

How it matches:
    Per FNSKU over its whole history: unresolved = lost + damaged - found - units reimbursed
    under Lost_Warehouse or Damaged_Warehouse (cash and inventory, net of reversals). Nothing when
    unresolved <= 0. The FNSKU's units taken from closed inbound shipments (R08's deductions) are
    in the same pool: found units and warehouse reimbursements offset the pool once, and what is
    left on a deduction is R08's claim, never also R02's. The unresolved units are given to the
    events newest first; units on R02's events inside their window are claimable, the rest
    expired.

What is claimed and how it is valued:
    One finding per FNSKU and status: its units x unit value before an order (catalog cost, else
    the 18-month median net proceeds in the currency of the country the ledger places the loss
    in, else unknown). Key = FNSKU, or FNSKU/currency when its losses are in more than one
    marketplace's currency (amounts in two currencies are never added). Evidence: the loss rows with
    their reference ids, the found rows and the reimbursements counted against them.

Window:
    From each adjustment's date, 60 days.

Example:
    Flagged: 3 towel sets lost (M) nine weeks before the audit, never found or reimbursed: 3 x
    catalog cost. A loss reimbursed and then reversed comes back as a claim.
    Passes: a bottle lost and found a week later; 2 leashes lost, reimbursed 1 in cash and 1 in
    inventory; a bib damaged by the customer (H); an M adjustment naming a shipment after it
    closed (R08's).
"""

from rules.base import Rule, closing, details, has, ids, remains, spelling, units, were, when


def query(ctx: dict) -> str:
    return """
    SELECT CASE WHEN count(DISTINCT p.currency) OVER (PARTITION BY p.fnsku) > 1
                THEN p.fnsku || '/' || p.currency ELSE p.fnsku END AS key,
        p.sku, p.fnsku, p.asin, p.date AS anchor_date,
        p.claimed_units AS quantity, p.claimed_units * v.value AS amount, p.currency,
        coalesce(v.valuation, 'unknown') AS valuation, v.value AS unit_value,
        [p.reference_id] AS refs,
        ['pool=' || p.pool_units, 'found=' || p.found_units, 'paid=' || p.paid_units]
            || list_transform(coalesce(p.paid_ids, []), lambda i: 'reimbursement=' || i)
            || list_transform(coalesce(p.reversed_ids, []), lambda i: 'reversed=' || i)
            || list_transform(coalesce(p.reversal_ids, []), lambda i: 'reversal=' || i)
            AS details,
        list_concat([{'report': p.report, 'file_id': p._file_id, 'line': p._line}],
                    coalesce(p.found_evidence, []), coalesce(p.paid_evidence, [])) AS evidence
    FROM loss_pool p
    LEFT JOIN unit_values v ON v.sku = p.sku AND v.currency = p.currency
    WHERE p.owner = 'R02' AND p.claimed_units > 0
    """


def summarize(f: dict) -> str:
    n = f["quantity"]
    return (
        f"{units(n)} of FNSKU {f['fnsku']} (SKU {f['sku']}) {were(n)} lost or damaged in "
        f"Amazon's {spelling(f['currency'], 'fulfilment centres')} {when(f)} (reference "
        f"{ids(f['refs'], 6)}) and {has(n)} not been found or reimbursed.{_offsets(f)} "
        + closing(f)
    )


def _offsets(f: dict) -> str:
    """What Amazon's records already made good on this FNSKU, and why it leaves this claim."""
    facts = details(f)
    found, paid = int(facts["found"][0]), int(facts["paid"][0])
    reversed_ = facts.get("reversed")
    if not (found or paid or reversed_):
        return ""
    made_good = []
    if found:
        made_good.append(f"{units(found)} {were(found)} found again")
    if paid > 0:
        paid_by = ids(facts.get("reimbursement"))
        made_good.append(f"{units(paid)} {were(paid)} reimbursed (reimbursement {paid_by})")
    text = f" Amazon's records show {units(int(facts['pool'][0]))} of this FNSKU lost or damaged"
    text += f" in all, of which {' and '.join(made_good)}" if made_good else ""
    if reversed_:
        text += (
            f"; reimbursement {ids(reversed_)} was reversed (reversal "
            f"{ids(facts.get('reversal'))}), so its units are not reimbursed"
        )
    n = f["quantity"]
    return text + f"; {units(n)} {remains(n)} unresolved."


RULE = Rule(
    code="R02",
    slug="inventory.warehouse_lost_damaged",
    title="Units lost or damaged in Amazon's warehouse and not made good",
    needs=(("ledger", "adjustments"), ("reimbursements",)),
    query=query,
    summarize=summarize,
    doc=__doc__,
)
