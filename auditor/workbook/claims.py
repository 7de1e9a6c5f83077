"""The Claims sheet: one row per claimable finding with its case text and the columns the seller
fills in."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from auditor.claims import OUTCOME_CHOICES
from auditor.findings import CLAIMABLE
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
CASE_TEXT = frozenset({CLAIMS_HEADER.index("Case text")})
TEXT_FORMAT = "@"


def claims_sheet(book, con, findings, as_of, max_rows) -> None:
    """One row per claimable finding: new this month first, then soonest deadline first."""
    sheet = Sheet(
        book,
        "Claims",
        CLAIMS_HEADER,
        [17, 10, 10, 12, 9, 6, 30, 16, 13, 21, 15, 7, 12, 9, 12, 14, 12, 13, 12, 16, 90],
        max_rows,
    )
    column = {name: get_column_letter(CLAIMS_HEADER.index(name) + 1) for name in FILL_IN}
    citations = _citations(con)
    filed = _filed(con)
    ready = [f for f in findings if f["status"] in CLAIMABLE]
    for f in sorted(ready, key=lambda f: (f.get("change") != "new", f["claim_deadline"])):
        quoted = citations.get((f["rule"], f["key"], f["bucket"]), [])
        more = f["evidence_rows"] - len(quoted)
        case = (
            f["summary"]
            + " Evidence: "
            + "; ".join(quoted)
            + (f"; and {more} more rows on sheet {f['rule']}." if more > 0 else ".")
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
                f["key"],
                f["sku"],
                f["fnsku"],
                f["order_id"],
                f["shipment_id"],
                f["quantity"],
                f["amount"],
                f["currency"],
                f["valuation"],
                case_id,
                filed_on,
                outcome,
                recovered,
                ", ".join(paid_ids) if paid_ids else None,
                case,
            ],
            fill=EXPIRING_FILL if f["status"] == "expiring" else None,
            formats={
                3: DATE_FORMAT,
                12: money_format(f["currency"]),
                15: TEXT_FORMAT,
                16: DATE_FORMAT,
                18: money_format(f["currency"]),
                19: TEXT_FORMAT,
            },
            links={5: f"'{f['rule']}'!A1"},
            wrap=CASE_TEXT,
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


def _citations(con) -> dict[tuple, list[str]]:
    rows = con.execute(
        f"""SELECT e.rule, e."key", e.bucket,
            list(e.report || ' report, ' || f.name || ' line ' || e.line
                 ORDER BY e.report, f.name, e.line)[1:{CASE_TEXT_EVIDENCE}]
        FROM last_evidence e JOIN files f ON f.file_id = e.file_id
        GROUP BY ALL"""
    ).fetchall()
    return {(r, k, b): quoted for r, k, b, quoted in rows}
