"""The Claims sheet: one row per claimable finding with its case text and the columns the seller
fills in."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from auditor.claims import OUTCOME_CHOICES
from auditor.findings import CLAIMABLE, evidence_sql
from auditor.store import has_table
from auditor.workbook.cells import (
    CASE_TEXT_EVIDENCE,
    DATE_FORMAT,
    EXPIRING_FILL,
    Sheet,
    money_format,
)

CLAIMS_HEADER = [
    "Finding id",
    "Change",
    "Status",
    "Deadline",
    "Days left",
    "Rule",
    "File under",
    "Key",
    "SKU",
    "FNSKU",
    "Order id",
    "Shipment id",
    "Units",
    "Amount",
    "Currency",
    "Valued by",
    "Case id",
    "Date filed",
    "Outcome",
    "Amount reimbursed",
    "Reimbursement id",
    "Case text",
]
FILL_IN = ("Case id", "Date filed", "Outcome", "Amount reimbursed", "Reimbursement id")
AT = {name: n for n, name in enumerate(CLAIMS_HEADER)}
CASE_TEXT = frozenset({AT["Case text"]})
NEEDS_COST = "needs a unit cost"
# The kind of Seller Central case each claim is filed as, so the sheet can be sorted and filtered
# by it.
CASE_TYPES = {
    "R01": "FBA fee: fulfillment fee",
    "R02": "Lost or damaged in warehouse",
    "R03": "Customer return: refund",
    "R04": "Inbound shipment",
    "R05": "Customer return: not returned to inventory",
    "R06": "Customer return: refund",
    "R07": "Customer return: refund",
    "R08": "Inbound shipment",
    "R09": "Customer return: damaged",
    "R10": "FBA fee: referral fee",
}


def claim_order(f: dict) -> tuple:
    """Claims to file now first (those with an amount; new this run, then soonest deadline);
    findings still needing a unit cost after them."""
    return (f["amount"] is None, f.get("change") != "new", f["claim_deadline"], f["key"])


CASE_TEXT_WIDTH = 90
CASE_TEXT_CHARS_PER_LINE = 85  # in a column CASE_TEXT_WIDTH wide
LINE_HEIGHT = 13  # points
TEXT_FORMAT = "@"


def claims_sheet(book, con, findings, as_of, max_rows) -> None:
    """One row per claimable finding: new this month first, then soonest deadline first."""
    sheet = Sheet(
        book,
        "Claims",
        CLAIMS_HEADER,
        [
            17,
            10,
            10,
            12,
            9,
            6,
            24,
            30,
            16,
            13,
            21,
            15,
            7,
            12,
            9,
            12,
            14,
            12,
            13,
            12,
            16,
            CASE_TEXT_WIDTH,
        ],
        max_rows,
    )
    column = {name: get_column_letter(CLAIMS_HEADER.index(name) + 1) for name in FILL_IN}
    citations = _citations(con)
    filed = _filed(con)
    ready = [f for f in findings if f["status"] in CLAIMABLE]
    for f in sorted(ready, key=claim_order):
        quoted = citations.get((f["rule"], f["key"], f["bucket"]), [])
        more = f["evidence_rows"] - len(quoted)
        case = (
            f["summary"]
            + " Evidence: "
            + "; ".join(quoted)
            + (f"; and {more} more rows (sheet {f['rule']} of the workbook)." if more > 0 else ".")
        )
        case_id, filed_on, outcome, recovered, paid_ids = filed.get(
            f.get("finding_id"), (None,) * 5
        )
        sheet.append(
            [
                f.get("finding_id"),
                f.get("change"),
                f["status"],
                f["claim_deadline"],
                (f["claim_deadline"] - as_of).days,
                f["rule"],
                CASE_TYPES.get(f["rule"], ""),
                f["key"],
                f["sku"],
                f["fnsku"],
                f["order_id"],
                f["shipment_id"],
                f["quantity"],
                f["amount"],
                f["currency"],
                NEEDS_COST if f["amount"] is None else f["valuation"],
                case_id,
                filed_on,
                outcome,
                recovered,
                ", ".join(paid_ids) if paid_ids else None,
                case,
            ],
            fill=EXPIRING_FILL if f["status"] == "expiring" else None,
            formats={
                AT["Deadline"]: DATE_FORMAT,
                AT["Amount"]: money_format(f["currency"]),
                AT["Case id"]: TEXT_FORMAT,
                AT["Date filed"]: DATE_FORMAT,
                AT["Amount reimbursed"]: money_format(f["currency"]),
                AT["Reimbursement id"]: TEXT_FORMAT,
            },
            links={AT["Rule"]: f"'{f['rule']}'!A1"},
            wrap=CASE_TEXT,
            height=LINE_HEIGHT * max(1, -(-len(case) // CASE_TEXT_CHARS_PER_LINE)),
        )
    for part in sheet.sheets:
        # the outcome is picked from a list; a case id is text (its digits are not a number)
        choices = DataValidation(
            type="list", formula1='"' + ",".join(OUTCOME_CHOICES) + '"', allow_blank=True
        )
        choices.add(f"{column['Outcome']}2:{column['Outcome']}{max_rows}")
        part.data_validations.append(choices)
    sheet.close()


def _filed(con) -> dict[str, tuple]:
    """What the seller already recorded per finding: (case id, date filed, outcome)."""
    if not has_table(con, "claims"):
        return {}
    return {
        fid: (case_id, filed_on, outcome or state, recovered, paid_ids)
        for fid, case_id, filed_on, outcome, state, recovered, paid_ids in con.execute(
            """SELECT finding_id, case_id, filed_on, outcome, state, recovered,
                reimbursement_ids FROM claims"""
        ).fetchall()
    }


# How a case text cites an evidence row: by Amazon's own ids and dates, which Seller Support can
# look up (a local file name and line number means nothing to them).
CITE = {
    "ledger": """concat_ws(' ', 'inventory ledger', strftime(r.date, '%Y-%m-%d'), r.event_type,
        r.quantity, 'FNSKU ' || r.fnsku, 'reason ' || nullif(r.reason, ''),
        'Reference ID ' || r.reference_id, 'at ' || r.fulfillment_center)""",
    "adjustments": """concat_ws(' ', 'inventory adjustment', r.transaction_item_id,
        strftime(CAST(r.adjusted_date AS DATE), '%Y-%m-%d'), 'FNSKU', r.fnsku, 'reason', r.reason,
        'quantity', r.quantity)""",
    "reimbursements": """concat_ws(' ', 'reimbursement', r.reimbursement_id,
        strftime(CAST(r.approval_date AS DATE), '%Y-%m-%d'), r.reason, 'FNSKU', r.fnsku,
        r.quantity_reimbursed_total || ' unit(s)', CAST(r.amount_total AS DECIMAL(18,2)),
        r.currency_unit, 'case ' || nullif(r.case_id, ''),
        'reversing ' || nullif(r.original_reimbursement_id, ''))""",
    "returns": """concat_ws(' ', 'customer return', strftime(CAST(r.return_date AS DATE),
        '%Y-%m-%d'), 'order', r.order_id, 'FNSKU', r.fnsku, r.quantity, 'unit(s)',
        r.detailed_disposition, 'status ' || r.status,
        'LPN ' || nullif(r.license_plate_number, ''))""",
    "settlement": """concat_ws(' ', 'settlement', r.settlement_id, r.transaction_type, 'order',
        r.order_id, r.amount_type || '/' || r.amount_description,
        CAST(r.amount AS DECIMAL(18,2)), 'posted ' || strftime(r.posted_date, '%Y-%m-%d'))""",
    "transactions": """concat_ws(' ', 'transaction', strftime(CAST(r.date_time AS DATE),
        '%Y-%m-%d'), r.type, 'order ' || r.order_id, 'settlement ' || nullif(r.settlement_id, ''),
        'total ' || CAST(r.total AS DECIMAL(18,2)))""",
    "inbound": """concat_ws(' ', 'inbound shipment', r.shipment_id, r.shipment_status, 'FNSKU',
        r.fnsku, 'shipped', r.quantity_shipped, 'received', r.quantity_received)""",
    "fee_preview": """concat_ws(' ', 'fee preview of', strftime(r.snapshot_date, '%Y-%m-%d'),
        'FNSKU ' || r.fnsku, 'ASIN ' || r.asin, 'size tier ' || r.product_size_tier)""",
    "orders": """concat_ws(' ', 'order', r.amazon_order_id, strftime(CAST(r.purchase_date AS
        DATE), '%Y-%m-%d'), r.quantity, 'unit(s) of', r.sku, r.order_status)""",
    "removals": """concat_ws(' ', 'removal order', r.order_id, r.order_type, r.order_status,
        'FNSKU', r.fnsku)""",
    "catalog": "concat_ws(' ', 'our catalog: SKU', r.sku, 'unit cost ' || r.unit_cost)",
}


def _citations(con) -> dict[tuple, list[str]]:
    """Per finding, the first evidence rows as its case text cites them."""
    cited = evidence_sql(con, original=lambda report: CITE.get(report, "e.report"))
    rows = con.execute(
        f"""SELECT rule, "key", bucket,
            list(original ORDER BY report, file, line)[1:{CASE_TEXT_EVIDENCE}]
        FROM ({cited}) GROUP BY ALL"""
    ).fetchall()
    return {(r, k, b): quoted for r, k, b, quoted in rows}
