"""The evidence a seller attaches to a case: `cases/<finding id>.csv` beside the workbook, one file
per claim to file, holding every evidence row of that claim in Amazon's own terms.

Seller Support cannot see the seller's file names or line numbers, so a row is cited by Amazon's
ids and dates (`CITE`) and then given in full as the report has it (`column: value | ...`). A fee
claim's file lists every order it covers, however many the case text names."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb

from auditor.findings import CLAIMABLE, evidence_sql
from auditor.reports import REPORTS_BY_KEY

CASES_FOLDER = "cases"

# How an evidence row is cited: by Amazon's own ids and dates, which Seller Support can look up.
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


def cite(report: str) -> str:
    return CITE.get(report, "e.report")


def row_text(con: duckdb.DuckDBPyConnection, report: str) -> str:
    """SQL (over the row `r`) for the row as the report has it, `column: value` joined by ` | `,
    columns in order; blank ones and the loader's own (`_file_id`, ...) left out."""
    columns = [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [REPORTS_BY_KEY[report].table],
        ).fetchall()
        if not name.startswith("_")
    ]
    return (
        "concat_ws(' | ', "
        + ", ".join(
            f"""'{name}: ' || nullif(CAST(r."{name}" AS VARCHAR), '')""" for name in columns
        )
        + ")"
    )


CASE_FILE_HEADER = "report,evidence,row\n"


def case_file_name(finding_id: str) -> str:
    return f"{finding_id}.csv"


CASE_BATCH_ROWS = 50_000


def claim_evidence(con: duckdb.DuckDBPyConnection) -> None:
    """`_claim_evidence`: where every evidence row of each claim to file is (finding id, rule,
    key, bucket, report, file id, file name, line), in finding order, for the Claims sheet's case
    texts and the case files. The rows themselves are read a range of claims at a time
    (`claim_rows`): a large seller's evidence in full does not fit in memory at once."""
    statuses = ", ".join(f"'{s}'" for s in CLAIMABLE)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _claim_evidence AS
        SELECT l.finding_id, e.rule, e."key", e.bucket, e.report, e.file_id, f.name AS file,
               e.line
        FROM last_evidence e
        JOIN last_findings l ON l.rule = e.rule AND l."key" = e."key" AND l.bucket = e.bucket
        JOIN files f ON f.file_id = e.file_id
        WHERE l.status IN ({statuses})
        ORDER BY l.finding_id, e.report, f.name, e.line, e.file_id"""
    )


def claim_rows(con: duckdb.DuckDBPyConnection, pointers: str) -> str:
    """SQL for the evidence rows that `pointers` (rows of `_claim_evidence`) point to: finding
    id, report, file, line, the row cited by Amazon's ids (`cited`) and in full (`original`)."""
    rows = evidence_sql(
        con,
        pointers=pointers,
        columns=("finding_id",),
        original=lambda report: row_text(con, report),
        cited=cite,
    )
    return f"SELECT finding_id, report, file, line, file_id, cited, original FROM ({rows})"


def write_case_files(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """One CSV per claim to file (report, evidence, row), in `folder`, which is replaced whole:
    a claim paid or expired since the last run leaves no file behind. Reads `_claim_evidence`
    (`claim_evidence`); returns the files written."""
    statuses = ", ".join(f"'{s}'" for s in CLAIMABLE)
    # Each claim's lines are made in SQL (every field quoted, as CSV allows) and read a range of
    # findings at a time, about CASE_BATCH_ROWS rows: a large seller's evidence in full does not
    # fit in memory at once.
    quoted = " || ',' || ".join(
        f"""'"' || replace(coalesce({c}, ''), '"', '""') || '"'"""
        for c in ("report", "cited", "original")
    )
    counts = con.execute(
        f"""SELECT l.finding_id, count(e.finding_id)
        FROM last_findings l LEFT JOIN _claim_evidence e USING (finding_id)
        WHERE l.status IN ({statuses}) GROUP BY l.finding_id ORDER BY l.finding_id"""
    ).fetchall()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for batch in _batches(counts):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _case_batch AS SELECT * FROM _claim_evidence "
                "WHERE finding_id BETWEEN ? AND ?",
                [batch[0], batch[-1]],
            )
            lines: dict[str, list[str]] = {}
            for finding_id, line in con.execute(
                f"""SELECT finding_id, {quoted} FROM ({claim_rows(con, "_case_batch")})
                ORDER BY finding_id, report, file, line, file_id"""
            ).fetchall():
                lines.setdefault(finding_id, []).append(line)
            for finding_id in batch:
                text = "".join(f"{line}\n" for line in lines.get(finding_id, []))
                with open(staging / case_file_name(finding_id), "w", encoding="utf-8") as f:
                    f.write(CASE_FILE_HEADER + text)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        con.execute("DROP TABLE IF EXISTS _case_batch")
    return len(counts)


def _batches(counts: list[tuple[str, int]]) -> list[list[str]]:
    """The finding ids, in order, cut into runs of about CASE_BATCH_ROWS evidence rows."""
    batches, batch, rows = [], [], 0
    for finding_id, n in counts:
        batch.append(finding_id)
        rows += n
        if rows >= CASE_BATCH_ROWS:
            batches.append(batch)
            batch, rows = [], 0
    return batches + ([batch] if batch else [])
