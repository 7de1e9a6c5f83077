"""`claims.xlsx`: the workbook a seller works from, written from the last run kept in the
database (`last_run`, `last_findings`, `last_evidence`) and the loaded files.

Sheets: Summary (totals, per rule, a chart), Claims (one row per claimable finding, new this run
first, then soonest deadline, with case text), one sheet per rule with its evidence rows, Rules,
Inputs; beside it, cases/ with the evidence file of each claim.
Written in openpyxl's streaming mode; every text cell is stored as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
from openpyxl import Workbook

from auditor.policy import load_policy_tables
from auditor.store import has_table
from auditor.workbook.cases import CASES_FOLDER, claim_evidence, write_case_files
from auditor.workbook.cells import EVIDENCE_ROWS, MAX_ROWS, NoRun, cell_for
from auditor.workbook.claims import claims_sheet
from auditor.workbook.evidence import evidence_sheet
from auditor.workbook.reference import inputs_sheet, rules_sheet
from auditor.workbook.summary import summary_sheet
from rules.registry import RULES

__all__ = ["EVIDENCE_ROWS", "MAX_ROWS", "NoRun", "cell_for", "write_workbook"]


def write_workbook(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    max_rows: int = MAX_ROWS,
    progress: Callable[[str], None] = lambda sheet: None,
) -> Path:
    """Write the workbook at `path` and the evidence files beside it; `progress(sheet)` is told
    each sheet as it starts."""
    run = (
        con.execute("SELECT info FROM last_run").fetchone() if has_table(con, "last_run") else None
    )
    if not run:
        raise NoRun("no audit in this database yet: run fba-audit run first")
    info = json.loads(run[0])
    load_policy_tables(con, info.get("windows"))  # the windows the run applied
    as_of = dt.date.fromisoformat(info["as_of"])
    findings = _findings(con)
    book = Workbook(write_only=True)
    progress("Summary")
    summary_sheet(book, con, info, as_of, findings)
    # The rule sheets are written first, so that each claim can link to its finding's row; the
    # Claims sheet is then moved to the front.
    rows_of: dict = {}
    first_rule_sheet = len(book._sheets)
    for rule in RULES:
        progress(rule.code)
        rows_of.update(evidence_sheet(book, con, rule, info, max_rows))
    rule_sheets = book._sheets[first_rule_sheet:]
    del book._sheets[first_rule_sheet:]
    progress("Claims")
    claim_evidence(con)  # for the case texts and, below, the case files
    try:
        claims_sheet(book, con, findings, rows_of, max_rows)
        book._sheets.extend(rule_sheets)
        rules_sheet(book)
        inputs_sheet(book, con, info)
        path.parent.mkdir(parents=True, exist_ok=True)
        progress("cases/")
        write_case_files(con, path.parent / CASES_FOLDER)
    finally:
        con.execute("DROP TABLE IF EXISTS _claim_evidence")
    progress("saving")
    book.save(path)
    return path


def _findings(con) -> list[dict]:
    cursor = con.execute('SELECT * FROM last_findings ORDER BY claim_deadline, rule, "key", status')
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
