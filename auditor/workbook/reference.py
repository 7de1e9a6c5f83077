"""The Rules sheet (each rule's documentation) and the Inputs sheet (files loaded, reference data
applied)."""

from __future__ import annotations

from auditor.workbook.cells import (
    BOLD,
    DATE_FORMAT,
    HEADER_FILL,
    Sheet,
)
from rules.base import DOC_SECTIONS
from rules.registry import RULES


def rules_sheet(book) -> None:
    sheet = Sheet(
        book,
        "Rules",
        ["Code", "Name", "Title", *DOC_SECTIONS],
        [6, 34, 40] + [60] * len(DOC_SECTIONS),
    )
    for rule in RULES:
        sections = _doc_sections(rule.doc)
        sheet.append(
            [rule.code, rule.slug, rule.title, *(sections.get(s, "") for s in DOC_SECTIONS)]
        )
    sheet.close()


def _doc_sections(doc: str) -> dict[str, str]:
    sections, current = {}, None
    for line in doc.splitlines():
        heading = line.strip().rstrip(":")
        if line.endswith(":") and heading in DOC_SECTIONS:
            current = heading
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line.strip())
    return {k: " ".join(v) for k, v in sections.items()}


def inputs_sheet(book, con, info) -> None:
    sheet = Sheet(
        book,
        "Inputs",
        [
            "File",
            "Report",
            "Rows read",
            "New rows",
            "Already present",
            "Set aside",
            "First date",
            "Last date",
            "Encoding",
            "SHA-256",
            "Loaded at",
        ],
        [46, 14, 10, 10, 14, 10, 12, 12, 10, 66, 20],
    )
    for row in con.execute(
        """SELECT name, report, rows_read, rows_new, rows_present, coalesce(rows_set_aside, 0),
            min_date, max_date, encoding, sha256, loaded_at FROM files ORDER BY name"""
    ).fetchall():
        sheet.append(list(row), formats={10: "yyyy-mm-dd hh:mm"})
    refused = con.execute(
        "SELECT name, report, message FROM refused_files ORDER BY name"
    ).fetchall()
    if refused:
        sheet.append([])
        sheet.append(["Refused by the last load (not loaded at all)"], font=BOLD, fill=HEADER_FILL)
        for name, report, message in refused:
            sheet.append([name, report, message])
    aside = con.execute(
        """SELECT f.name, f.report, s._line, s.reason, s."row"
        FROM set_aside s JOIN files f ON f.file_id = s._file_id
        ORDER BY f.name, s._line"""
    ).fetchall()
    if aside:
        sheet.append([])
        sheet.append(
            ["Rows set aside (file loaded without them)", "", "Line", "Why", "Row"],
            font=BOLD,
            fill=HEADER_FILL,
        )
        for row in aside:
            sheet.append(list(row))
    sheet.append([])
    sheet.append(
        ["Reference data applied", "Name", "From", "To", "Source"], font=BOLD, fill=HEADER_FILL
    )
    for card in info["cards"]:
        sheet.append(["Fee card", card["name"], card["from"], card["to"], card["source"]])
    sheet.append(["Referral schedule", info["referral"]])
    sheet.append([])
    sheet.append(
        [
            "Claim windows",
            "Marketplace",
            "Rule",
            "From the",
            "Claimable after (days)",
            "Deadline (days)",
            "In force from",
        ],
        font=BOLD,
        fill=HEADER_FILL,
    )
    # the windows of the marketplaces this seller's files are in (the US ones when none says)
    for row in con.execute(
        """SELECT region, rule, anchor, eligible_after_days, deadline_days, effective_from
        FROM claim_windows
        WHERE region IN (SELECT coalesce(g.region, 'US') FROM files f
                         LEFT JOIN regions g ON g.currency = f.currency
                         WHERE f.currency IS NOT NULL)
           OR (region = 'US' AND NOT EXISTS (SELECT 1 FROM files WHERE currency IS NOT NULL))
        ORDER BY region, rule, effective_from"""
    ).fetchall():
        sheet.append(["", *row], formats={6: DATE_FORMAT})
    if info["notes"]:
        sheet.append([])
        sheet.append(["Notes of the run"], font=BOLD, fill=HEADER_FILL)
        for note in info["notes"]:
            sheet.append(["Note", note])
    sheet.close()
