"""From claim lines to findings: claim windows, statuses and the findings files.

A rule's query returns *claim lines*: one event it claims for, with its window anchor, units,
money and the evidence rows behind it. Here every line gets its window and status, and the lines
of one key and status become one finding, dated by its earliest line.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb

from auditor.parsing import sql_text
from auditor.reports import REPORTS_BY_KEY

# What a rule's query may return; a column it leaves out is NULL.
CLAIM_LINE_COLUMNS = {
    "key": "VARCHAR",
    "sku": "VARCHAR",
    "fnsku": "VARCHAR",
    "asin": "VARCHAR",
    "order_id": "VARCHAR",
    "shipment_id": "VARCHAR",
    "anchor_date": "DATE",  # the event the claim window runs from
    "quantity": "BIGINT",  # units claimed (NULL where the rule claims money only)
    "amount": "DECIMAL(18,4)",  # money claimed (NULL where a unit has no known value)
    "currency": "VARCHAR",
    "valuation": "VARCHAR",  # catalog | net_proceeds | refund | fee | unknown
    "unit_value": "DECIMAL(18,4)",
    "window": "VARCHAR",  # which claim_windows row; the rule's code unless it says otherwise
    "wait_days": "INTEGER",  # days to wait from the anchor beyond the window's own, if any
    "refs": "VARCHAR[]",  # ids a seller cites: reference ids, order ids, reimbursement ids
    "details": "VARCHAR[]",  # `name=value` facts the rule's summary quotes (rules.base.details)
    "evidence": "STRUCT(report VARCHAR, file_id INTEGER, line BIGINT)[]",
}
FINDING_COLUMNS = [
    "finding_id",
    "rule",
    "rule_name",
    "status",
    "key",
    "sku",
    "fnsku",
    "asin",
    "order_id",
    "shipment_id",
    "event_date",
    "quantity",
    "amount",
    "currency",
    "valuation",
    "eligible_from",
    "claim_deadline",
    "evidence_rows",
    "summary",
]
EXPIRING_DAYS = 14
CLAIMABLE = ("open", "expiring")


def claim_lines(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a rule's query into `_lines`, shaped as CLAIM_LINE_COLUMNS."""
    present = {row[0] for row in con.execute(f"DESCRIBE ({sql})").fetchall()}
    select = ", ".join(
        (
            f'CAST("{name}" AS {kind}) AS "{name}"'
            if name in present
            else f'CAST(NULL AS {kind}) AS "{name}"'
        )
        for name, kind in CLAIM_LINE_COLUMNS.items()
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT {select} FROM ({sql})")


def findings(con: duckdb.DuckDBPyConnection, rule: str, slug: str, as_of: dt.date) -> list[dict]:
    """Group `_lines` into findings of `rule`; also fills `_finding_evidence`."""
    day = f"DATE '{as_of.isoformat()}'"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _dated AS
        WITH numbered AS (
            SELECT row_number() OVER () AS _n, * FROM _lines
            WHERE (quantity IS NULL OR quantity > 0) AND (amount IS NULL OR amount > 0)
        ), windowed AS (
            -- the window in force on the event's date: the latest row effective by then (the
            -- earliest row for an event older than every row)
            SELECT l.* EXCLUDE (_n), w.eligible_after_days, w.deadline_days
            FROM numbered l
            LEFT JOIN regions g ON g.currency = l.currency
            JOIN claim_windows w
              ON w.region = coalesce(g.region, 'US') AND w.rule = coalesce(l.window, '{rule}')
            QUALIFY row_number() OVER (
                PARTITION BY l._n
                ORDER BY w.effective_from <= l.anchor_date DESC,
                    CASE WHEN w.effective_from <= l.anchor_date THEN w.effective_from END
                        DESC NULLS LAST,
                    w.effective_from) = 1
        ), dated AS (
            SELECT *,
                anchor_date + greatest(eligible_after_days, coalesce(wait_days, 0))
                    AS eligible_from,
                anchor_date + deadline_days AS claim_deadline
            FROM windowed
        )
        SELECT *, CASE WHEN {day} < eligible_from THEN 'pending'
                       WHEN {day} > claim_deadline THEN 'expired'
                       ELSE 'claimable' END AS bucket
        FROM dated"""
    )
    # Each finding's evidence rows, once each; counted from here rather than from a list of
    # them per finding, which for a fee claim over thousands of orders held them all in memory.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _finding_evidence AS
        SELECT DISTINCT '{rule}' AS rule, key, bucket, e.report, e.file_id, e.line
        FROM (SELECT key, bucket, unnest(evidence) AS e FROM _dated)"""
    )
    rows = con.execute(
        f"""SELECT
            CASE WHEN bucket <> 'claimable' THEN bucket
                 WHEN arg_min(claim_deadline, (anchor_date, claim_deadline)) - {day}
                      <= {EXPIRING_DAYS} THEN 'expiring'
                 ELSE 'open' END AS status,
            key, min(sku) AS sku, min(fnsku) AS fnsku, min(asin) AS asin,
            arg_min(order_id, (anchor_date, order_id)) AS order_id,
            arg_min(shipment_id, (anchor_date, shipment_id)) AS shipment_id,
            min(anchor_date) AS event_date,
            sum(quantity) AS quantity,
            CASE WHEN bool_or(amount IS NULL) THEN NULL ELSE round(sum(amount), 2) END AS amount,
            min(currency) AS currency,
            CASE WHEN bool_or(valuation = 'unknown') THEN 'unknown' ELSE min(valuation) END
                AS valuation,
            arg_min(eligible_from, (anchor_date, eligible_from)) AS eligible_from,
            arg_min(claim_deadline, (anchor_date, claim_deadline)) AS claim_deadline,
            coalesce(any_value(_evidence_rows), 0) AS evidence_rows,
            min(unit_value) AS unit_value, max(anchor_date) AS last_date,
            list_sort(list_distinct(flatten(list(refs)))) AS refs,
            list_sort(list_distinct(flatten(list(details)))) AS details,
            bucket
        FROM (
            SELECT d.*, c.rows AS _evidence_rows FROM _dated d LEFT JOIN (
                SELECT key, bucket, count(*) AS rows FROM _finding_evidence GROUP BY ALL
            ) c ON c.key IS NOT DISTINCT FROM d.key AND c.bucket IS NOT DISTINCT FROM d.bucket
        ) GROUP BY key, bucket
        ORDER BY claim_deadline, key"""
    ).fetchall()
    names = [d[0] for d in con.description]
    result = []
    for row in rows:
        finding = dict(zip(names, row, strict=True))
        finding.update(rule=rule, rule_name=slug)
        result.append(finding)
    return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def sort_key(finding: dict):
    return (finding["rule"], finding["claim_deadline"], finding["key"], finding["status"])


def write_csv(all_findings: list[dict], path: Path) -> None:
    """`findings.csv`: one row per finding, FINDING_COLUMNS, sorted by rule, deadline and key,
    so the same inputs give the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(FINDING_COLUMNS)
        for finding in sorted(all_findings, key=sort_key):
            writer.writerow([_text(finding[c]) for c in FINDING_COLUMNS])


def _records(all_findings: list[dict]) -> list[dict]:
    return [{c: f[c] for c in FINDING_COLUMNS} for f in sorted(all_findings, key=sort_key)]


def write_json(all_findings: list[dict], path: Path) -> None:
    """`findings.json`: the same rows; amounts as strings to keep them exact."""
    import json

    rows = [
        {
            c: (None if v is None else _text(v) if isinstance(v, Decimal | dt.date) else v)
            for c, v in r.items()
        }
        for r in _records(all_findings)
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_parquet(all_findings: list[dict], path: Path) -> None:
    """`findings.parquet`: the same rows, amounts as DECIMAL(18,2), dates as dates."""
    import polars as pl

    schema = {c: pl.String for c in FINDING_COLUMNS}
    schema.update(
        quantity=pl.Int64,
        amount=pl.Decimal(18, 2),
        evidence_rows=pl.Int64,
        event_date=pl.Date,
        eligible_from=pl.Date,
        claim_deadline=pl.Date,
    )
    pl.DataFrame(_records(all_findings), schema=schema, orient="row").write_parquet(path)


WRITERS = {"json": write_json, "parquet": write_parquet}


def evidence_sql(
    con: duckdb.DuckDBPyConnection,
    rule: str | None = None,
    pointers: str = "last_evidence",
    columns: tuple[str, ...] = (),
    original=None,
    cited=None,
) -> str:
    """SQL for the last run's evidence rows (of one rule, or of all): rule, key, bucket, report,
    file, line, file id and the row as loaded (JSON text), plus `columns` of `pointers` — a
    table shaped like last_evidence (rule, key, bucket, report, file_id, line), by default
    last_evidence itself. `original(report)`, when given, is the SQL (over the row `r`) that
    stands in the `original` column instead of the row's JSON; `cited(report)`, when given, adds
    a `cited` column the same way."""
    only = "" if rule is None else f" AND e.rule = '{rule}'"
    more = "".join(f", e.{c}" for c in columns)
    reports = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT report FROM {pointers} e WHERE true{only} ORDER BY 1"
        ).fetchall()
    ]
    return " UNION ALL ".join(
        f"""SELECT e.rule, e."key", e.bucket, e.report, f.name AS file, e.line,
                   e.file_id, {original(report) if original else "to_json(r)::VARCHAR"} AS original
                   {f", {cited(report)} AS cited" if cited else ""}{more}
            FROM {pointers} e JOIN files f ON f.file_id = e.file_id
            JOIN (SELECT * EXCLUDE (_key, _occurrence) FROM {REPORTS_BY_KEY[report].table}) r
              ON r._file_id = e.file_id AND r._line = e.line
            WHERE e.report = '{report}'{only}"""
        for report in reports
    ) or (
        "SELECT NULL AS rule, NULL AS key, NULL AS bucket, NULL AS report, NULL AS file, "
        f"NULL AS line, NULL AS file_id, NULL AS original{', NULL AS cited' if cited else ''}"
        f"{''.join(f', NULL AS {c}' for c in columns)} WHERE false"
    )


def write_evidence(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """`evidence.csv`: where every evidence row of the last run's findings is — finding id,
    rule, key, report, file, line, and the file's SHA-256 so it can be told from another of the
    same name — in the workbook's order. The rows themselves are in the reports, and in full in
    each claim's case file (cases/); a pointer is a few dozen bytes where a row in full is
    hundreds, for findings that can have thousands of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (
            SELECT l.finding_id, e.rule, e."key", e.report, f.name AS file, e.line,
                   f.sha256 AS file_sha256
            FROM last_evidence e JOIN files f ON f.file_id = e.file_id
            JOIN last_findings l ON l.rule = e.rule AND l."key" = e."key" AND l.bucket = e.bucket
            ORDER BY l.rule, l.claim_deadline, l."key", l.bucket, e.report, f.name, e.line,
                e.file_id)
        TO {sql_text(str(path))} (HEADER true, DELIMITER ',')"""
    )
