"""One sheet per rule: each finding, under its own header row, followed by its first evidence
rows."""

from __future__ import annotations

import json

from auditor.findings import CLAIMABLE, evidence_sql
from auditor.workbook.cases import CASES_FOLDER, case_file_name
from auditor.workbook.cells import (
    BOLD,
    DATE_FORMAT,
    EVIDENCE_ROWS,
    FINDING_FILL,
    HEADER_FILL,
    ITALIC,
    Sheet,
    _plain,
    money_format,
)

FINDING_HEADER = ["Finding id", "Key", "Status", "Units", "Amount", "Deadline", "Summary"]
EVIDENCE_HEADER = ["", "", "", "Report", "File", "Line"]  # then the report's own columns
WIDTHS = [17, 30, 10, 14, 34, 11] + [20] * 30


def evidence_sheet(book, con, rule, info, max_rows) -> dict[tuple[str, str, str], str]:
    """The rule's findings, claimable before expired, each under its own header row and followed
    by its evidence rows under theirs (report, file, line, the report's columns), streamed from
    the database. Returns where each finding's row is, per (rule, key, status), as a link
    target."""
    sheet = Sheet(book, rule.code, FINDING_HEADER, WIDTHS, max_rows)
    if rule.code in info["not_run"]:
        sheet.append([f"Not run: needs {', '.join(info['not_run'][rule.code])}"])
    # A finding shows its first EVIDENCE_ROWS rows here; its case file and evidence.csv hold
    # them all. They are picked from the pointers before the report lines are joined, so that
    # only they are read.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _shown AS
        SELECT e.*, count(*) OVER (PARTITION BY e."key", e.bucket) AS rows
        FROM last_evidence e JOIN files f ON f.file_id = e.file_id
        WHERE e.rule = $rule
        QUALIFY row_number() OVER (
                    PARTITION BY e."key", e.bucket ORDER BY e.report, f.name, e.line, e.file_id
                ) <= {EVIDENCE_ROWS}""",
        {"rule": rule.code},
    )
    try:
        evidence = evidence_sql(con, rule.code, pointers="_shown", columns=("rows",))
        cursor = con.execute(
            f"""SELECT f.*, v.report, v.file, v.line, v.original, v.rows
            FROM last_findings f LEFT JOIN ({evidence}) v
              ON v."key" = f."key" AND v.bucket = f.bucket
            WHERE f.rule = $rule
            ORDER BY f.status = 'expired', f.claim_deadline, f."key", f.status, v.report, v.file,
                v.line, v.file_id""",
            {"rule": rule.code},
        )
        names = [d[0] for d in cursor.description]
        finding = report = None
        total, case = 0, None
        rows_of: dict[tuple[str, str, str], str] = {}
        while batch := cursor.fetchmany(5_000):
            for values in batch:
                row = dict(zip(names, values, strict=True))
                if (row["key"], row["status"]) != finding:
                    _more_rows(sheet, total, case)
                    if finding is not None:
                        sheet.append(FINDING_HEADER, font=BOLD, fill=HEADER_FILL)
                    finding, report = (row["key"], row["status"]), None
                    total = row["rows"] or 0
                    case = case_file_name(row["finding_id"]) if row["status"] in CLAIMABLE else None
                    sheet.append(
                        [
                            row["finding_id"],
                            row["key"],
                            row["status"],
                            row["quantity"] or None,
                            row["amount"],
                            row["claim_deadline"],
                            row["summary"],
                        ],
                        font=BOLD,
                        fill=FINDING_FILL,
                        formats={4: money_format(row["currency"]), 5: DATE_FORMAT},
                    )
                    rows_of[(rule.code, *finding)] = f"'{sheet.ws.title}'!A{sheet.row}"
                if row["report"] is None:
                    continue
                original = json.loads(row["original"])
                columns = [c for c in original if not c.startswith("_")]
                if row["report"] != report:
                    report = row["report"]
                    sheet.append([*EVIDENCE_HEADER, *columns], font=ITALIC)
                sheet.append(
                    [
                        row["finding_id"],
                        row["key"],
                        row["status"],
                        report,
                        row["file"],
                        row["line"],
                        *(_plain(original[c]) for c in columns),
                    ]
                )
        _more_rows(sheet, total, case)
        sheet.close()
    finally:
        con.execute("DROP TABLE IF EXISTS _shown")
    return rows_of


def _more_rows(sheet, total: int, case: str | None) -> None:
    """Say how many of a finding's `total` evidence rows the sheet left out, and where they are:
    a claim's in its case file, any finding's file and line in evidence.csv."""
    if total > EVIDENCE_ROWS:
        where = f"in full in {CASES_FOLDER}/{case}, and " if case else ""
        sheet.append(
            [
                "",
                "",
                "",
                f"… and {total - EVIDENCE_ROWS:,} more rows of this finding: {where}each one's "
                "file and line in evidence.csv",
            ],
            font=ITALIC,
        )
