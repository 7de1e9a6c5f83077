"""The Claims sheet: one row per claimable finding with its case text and the columns the seller
fills in."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from auditor.claims import OUTCOME_CHOICES
from auditor.findings import CLAIMABLE
from auditor.store import has_table
from auditor.workbook.cases import CASES_FOLDER, case_file_name, claim_rows
from auditor.workbook.cells import (
    CASE_TEXT_EVIDENCE,
    DATE_FORMAT,
    EXPIRING_FILL,
    External,
    Formula,
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
    "Evidence file",
    "Case id",
    "Date filed",
    "Outcome",
    "Amount reimbursed",
    "Reimbursement id",
    "Case text",
]
FILL_IN = ("Case id", "Date filed", "Outcome", "Amount reimbursed", "Reimbursement id")
AT = {name: n for n, name in enumerate(CLAIMS_HEADER)}
# Every cell of a claim is wrapped and top-aligned, so that it reads beside its tall case text.
WRAPPED = frozenset(AT.values())
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
    "R11": "Removal order",
    "R12": "Lost or damaged in warehouse: disposed",
    "R13": "Reimbursement: re-value at cost",
    "R14": "Refund: administration fee",
}


def claim_order(f: dict) -> tuple:
    """Claims to file now first (those with an amount; new this run, then soonest deadline);
    findings still needing a unit cost after them."""
    return (f["amount"] is None, f.get("change") != "new", f["claim_deadline"], f["key"])


CASE_TEXT_WIDTH = 90
CASE_TEXT_CHARS_PER_LINE = 85  # in a column CASE_TEXT_WIDTH wide
LINE_HEIGHT = 13  # points
TEXT_FORMAT = "@"


def claims_sheet(book, con, findings, rows_of: dict, max_rows) -> None:
    """One row per claimable finding: new this month first, then soonest deadline first. Its
    Rule links to the finding's row on the rule's sheet (`rows_of`, per rule, key and status), its
    Evidence file to the CSV to attach to the case; Days left is Excel's, from the deadline."""
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
            20,
            14,
            12,
            13,
            17,
            16,
            CASE_TEXT_WIDTH,
        ],
        max_rows,
    )
    column = {
        name: get_column_letter(CLAIMS_HEADER.index(name) + 1) for name in (*FILL_IN, "Deadline")
    }
    citations = _citations(con)
    filed = _filed(con)
    ready = [f for f in findings if f["status"] in CLAIMABLE]
    for f in sorted(ready, key=claim_order):
        quoted = citations.get(f["finding_id"], [])
        more = f["evidence_rows"] - len(quoted)
        attached = case_file_name(f["finding_id"])
        case = (
            f["summary"]
            + " Evidence: "
            + "; ".join(quoted)
            + (
                f"; and {more} more rows. All {f['evidence_rows']} evidence rows are in the "
                f"attached file {attached}."
                if more > 0
                else f". The attached file {attached} has these rows in full."
            )
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
                Formula(f"={column['Deadline']}{{row}}-TODAY()"),
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
                attached,
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
                AT["Days left"]: "0",
                AT["Amount"]: money_format(f["currency"]),
                AT["Case id"]: TEXT_FORMAT,
                AT["Date filed"]: DATE_FORMAT,
                AT["Amount reimbursed"]: money_format(f["currency"]),
                AT["Reimbursement id"]: TEXT_FORMAT,
            },
            links={
                AT["Rule"]: rows_of.get((f["rule"], f["key"], f["status"]), f"'{f['rule']}'!A1"),
                AT["Evidence file"]: External(f"{CASES_FOLDER}/{attached}"),
            },
            wrap=WRAPPED,
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


def _citations(con) -> dict[str, list[str]]:
    """Per claim (finding id), its first evidence rows as its case text cites them."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _cited_pointers AS SELECT * FROM _claim_evidence
        QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY report, file, line, file_id)
                <= {CASE_TEXT_EVIDENCE}"""
    )
    try:
        rows = con.execute(
            f"""SELECT finding_id, list(cited ORDER BY report, file, line, file_id)
            FROM ({claim_rows(con, "_cited_pointers")}) GROUP BY finding_id"""
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _cited_pointers")
    return dict(rows)
