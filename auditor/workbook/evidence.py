"""One sheet per rule: each finding followed by its first evidence rows."""

from __future__ import annotations

import json

from auditor.findings import evidence_sql
from auditor.workbook.cells import (
    BOLD,
    EVIDENCE_ROWS,
    FINDING_FILL,
    ITALIC,
    Sheet,
    _plain,
    money_format,
)


def evidence_sheet(book, con, rule, info, max_rows) -> None:
    """The rule's findings, each followed by its evidence rows with their original columns,
    streamed from the database in the Claims order."""
    sheet = Sheet(
        book,
        rule.code,
        ["Finding", "Status", "Report", "File", "Line", "Original columns"],
        [30, 10, 14, 34, 7] + [16] * 20,
        max_rows,
    )
    if rule.code in info["not_run"]:
        sheet.append([f"Not run: needs {', '.join(info['not_run'][rule.code])}"])
    # A finding shows its first EVIDENCE_ROWS rows here; evidence.csv holds them all. They are
    # picked from the pointers before the report lines are joined, so that only they are read.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _shown AS
        SELECT e.*, count(*) OVER (PARTITION BY e."key", e.bucket) AS rows
        FROM last_evidence e JOIN files f ON f.file_id = e.file_id
        WHERE e.rule = $rule
        QUALIFY row_number() OVER (PARTITION BY e."key", e.bucket ORDER BY e.report, f.name, e.line)
                <= {EVIDENCE_ROWS}""",
        {"rule": rule.code},
    )
    evidence = evidence_sql(con, rule.code, pointers="_shown", columns=("rows",))
    cursor = con.execute(
        f"""SELECT f.*, v.report, v.file, v.line, v.original, v.rows
        FROM last_findings f LEFT JOIN ({evidence}) v
          ON v."key" = f."key" AND v.bucket = f.bucket
        WHERE f.rule = $rule
        ORDER BY f.status = 'expired', f.claim_deadline, f."key", f.status, v.report, v.file,
            v.line""",
        {"rule": rule.code},
    )
    names = [d[0] for d in cursor.description]
    finding = report = None
    total = 0
    while batch := cursor.fetchmany(5_000):
        for values in batch:
            row = dict(zip(names, values, strict=True))
            if (row["key"], row["status"]) != finding:
                _more_rows(sheet, total)
                finding, report = (row["key"], row["status"]), None
                total = row["rows"] or 0
                units = f"{row['quantity']} units" if row["quantity"] else ""
                sheet.append(
                    [row["key"], row["status"], units, row["amount"], None, row["summary"]],
                    font=BOLD,
                    fill=FINDING_FILL,
                    formats={3: money_format(row["currency"])},
                )
            if row["report"] is None:
                continue
            original = json.loads(row["original"])
            columns = [c for c in original if not c.startswith("_")]
            if row["report"] != report:
                report = row["report"]
                sheet.append(["", "", "report", "file", "line", *columns], font=ITALIC)
            sheet.append(
                [
                    row["key"],
                    row["status"],
                    report,
                    row["file"],
                    row["line"],
                    *(_plain(original[c]) for c in columns),
                ]
            )
    _more_rows(sheet, total)
    sheet.close()
    con.execute("DROP TABLE _shown")


def _more_rows(sheet, total: int) -> None:
    """Say how many of a finding's `total` evidence rows the sheet left to evidence.csv."""
    if total > EVIDENCE_ROWS:
        sheet.append(
            ["", "", f"… and {total - EVIDENCE_ROWS:,} more rows of this finding in evidence.csv"],
            font=ITALIC,
        )
