"""The per-seller DuckDB database: loaded files, one raw table per report, and the canonical views
the rules query (documented in README "Tables")."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from auditor.parsing import sql_text
from auditor.reports import REPORTS, SQL_TYPES, Report

SCHEMA_VERSION = 1
DEFAULT_DB = "fba-audit.duckdb"
# DuckDB's memory; past it, it spills to `<database>.tmp`. With the Python process beside it (its
# imports, the fee cards, the workbook's rows in flight) a run stays within 1 GiB; a seller with
# room to spare may raise it.
MEMORY_LIMIT = os.environ.get("FBA_AUDIT_MEMORY_LIMIT") or "700MiB"
# Rows a Python-built insert passes in one statement (`insert_rows`).
INSERT_BATCH = 10_000
# DuckDB's threads (default: one per core); a fleet worker sharing the machine uses fewer.
THREADS: int | None = (
    int(os.environ["FBA_AUDIT_THREADS"]) if os.environ.get("FBA_AUDIT_THREADS") else None
)


class DatabaseUnusable(Exception):
    """The database file is held by another run, or is not a database."""


class DatabaseInUse(DatabaseUnusable):
    pass


# Columns a report's raw table has besides its own.
EXTRA_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "transactions": [("type_raw", "VARCHAR"), ("currency", "VARCHAR")],
    "fee_preview": [("snapshot_date", "DATE")],
}
PROVENANCE = [
    ("_file_id", "INTEGER NOT NULL"),
    ("_line", "BIGINT NOT NULL"),
    ("_key", "UBIGINT"),
    ("_occurrence", "INTEGER"),
    ("extra", "VARCHAR"),
]


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating when new) a seller's database; fail fast if another run holds it."""
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise DatabaseInUse(
                f"{path}: database in use by another fba-audit run; wait for it to finish"
            ) from None
        raise DatabaseUnusable(
            f"{path}: cannot be opened as an fba-audit database "
            f"({str(error).splitlines()[0]}); pass --db a new or existing database file"
        ) from None
    try:
        con.execute(f"SET memory_limit = {sql_text(MEMORY_LIMIT)}")
    except duckdb.Error:
        con.close()
        raise DatabaseUnusable(
            f"FBA_AUDIT_MEMORY_LIMIT={MEMORY_LIMIT!r} is not a memory size; "
            "set it like 4GiB, or unset it"
        ) from None
    if THREADS:
        con.execute(f"SET threads = {int(THREADS)}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    if _foreign(con):
        con.close()
        raise DatabaseUnusable(
            f"{path}: not an fba-audit database (it holds tables of its own); pass --db a new "
            "file or one fba-audit made"
        )
    if not read_only:
        create_schema(con)
    return con


def _foreign(con: duckdb.DuckDBPyConnection) -> bool:
    """A database with tables but no fba-audit schema version: someone else's."""
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
        ).fetchall()
    }
    if not tables:
        return False
    if "meta" not in tables:
        return True
    return not con.execute("SELECT count(*) FROM meta WHERE name = 'schema_version'").fetchone()[0]


def begin_run(con: duckdb.DuckDBPyConnection, command: str) -> None:
    """Mark a run as under way; `end_run` (in the run's last transaction) clears the mark."""
    con.execute("INSERT INTO run_journal VALUES (now()::TIMESTAMP, ?)", [command])


def end_run(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM journal_files")
    con.execute("DELETE FROM run_journal")


def recover(con: duckdb.DuckDBPyConnection) -> int:
    """Undo what an interrupted run loaded, so the database is as it was before that run.
    Returns how many files were unloaded."""
    if not con.execute("SELECT count(*) FROM run_journal").fetchone()[0]:
        return 0
    undone = con.execute("SELECT count(*) FROM journal_files").fetchone()[0]
    con.execute("BEGIN TRANSACTION")
    for report in REPORTS:
        con.execute(
            f"DELETE FROM {report.table} WHERE _file_id IN (SELECT file_id FROM journal_files)"
        )
    con.execute("DELETE FROM settlements WHERE _file_id IN (SELECT file_id FROM journal_files)")
    con.execute("DELETE FROM set_aside WHERE _file_id IN (SELECT file_id FROM journal_files)")
    con.execute("DELETE FROM files WHERE file_id IN (SELECT file_id FROM journal_files)")
    end_run(con)
    con.execute("COMMIT")
    return undone


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the seller's database (not this connection's temp schema) has table `name`."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
        ).fetchone()[0]
    )


def table_columns(report: Report) -> list[tuple[str, str]]:
    columns = [(c.name, SQL_TYPES[c.kind]) for c in report.columns]
    return columns + EXTRA_COLUMNS.get(report.key, []) + PROVENANCE


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE IF NOT EXISTS file_ids START 1")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS files (
            file_id INTEGER PRIMARY KEY,
            sha256 VARCHAR NOT NULL UNIQUE,
            name VARCHAR NOT NULL,
            report VARCHAR NOT NULL,
            encoding VARCHAR,
            delimiter VARCHAR,
            header_line INTEGER,
            rows_read BIGINT,
            rows_new BIGINT,
            rows_present BIGINT,
            min_date DATE,
            max_date DATE,
            currency VARCHAR,
            mtime DOUBLE,
            loaded_at TIMESTAMP
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS settlements (
            settlement_id VARCHAR PRIMARY KEY,
            settlement_start_date TIMESTAMP,
            settlement_end_date TIMESTAMP,
            deposit_date TIMESTAMP,
            total_amount DECIMAL(18,4),
            currency VARCHAR,
            line_count BIGINT,
            fingerprint HUGEINT,
            _file_id INTEGER,
            _line BIGINT
        )"""
    )
    con.execute("ALTER TABLE files ADD COLUMN IF NOT EXISTS rows_set_aside BIGINT DEFAULT 0")
    # Rows of loaded files kept out of the report tables, and why (reports.NEVER_NEGATIVE,
    # reports.EVENT_DATE); `row` holds the row's values as JSON.
    con.execute(
        """CREATE TABLE IF NOT EXISTS set_aside (
            _file_id INTEGER, _line BIGINT, reason VARCHAR, "row" VARCHAR)"""
    )
    # The files the last load refused, with the one-line reason (replaced by every load).
    con.execute(
        """CREATE TABLE IF NOT EXISTS refused_files (
            name VARCHAR, report VARCHAR, message VARCHAR, refused_at TIMESTAMP)"""
    )
    # The SHA-256 of each file read, by path, size and modification time: a file unchanged on
    # disk is not hashed again on the next run.
    con.execute(
        """CREATE TABLE IF NOT EXISTS seen_files (
            path VARCHAR PRIMARY KEY, size BIGINT, mtime_ns BIGINT, sha256 VARCHAR)"""
    )
    con.execute("CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value VARCHAR)")
    # An unfinished run: what it loaded is undone when the database is next opened.
    con.execute("CREATE TABLE IF NOT EXISTS run_journal (started_at TIMESTAMP, command VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS journal_files (file_id INTEGER)")
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    for report in REPORTS:
        cols = ", ".join(f'"{n}" {t}' for n, t in table_columns(report))
        con.execute(f"CREATE TABLE IF NOT EXISTS {report.table} ({cols})")
    for sql in VIEWS:
        con.execute(sql)


# One row per reimbursement paid, with what later reversals took back netted into it. A reversal
# whose original is not in the report stays a row of its own (negative).
REIMBURSEMENTS_SQL = """
    WITH reversal AS (
        SELECT original_reimbursement_id AS reimbursement_id, fnsku,
               sum(quantity_reimbursed_cash) AS cash, sum(quantity_reimbursed_inventory) AS inv,
               sum(quantity_reimbursed_total) AS total, sum(amount_total) AS amount,
               list(reimbursement_id ORDER BY reimbursement_id) AS reversal_ids
        FROM reimbursement_events
        WHERE lower(reason) = 'reimbursement_reversal' AND original_reimbursement_id IS NOT NULL
        GROUP BY ALL
    )
    SELECT r.*,
           coalesce(r.quantity_reimbursed_cash, 0) + coalesce(v.cash, 0) AS net_quantity_cash,
           coalesce(r.quantity_reimbursed_inventory, 0) + coalesce(v.inv, 0)
               AS net_quantity_inventory,
           coalesce(r.quantity_reimbursed_total, 0) + coalesce(v.total, 0) AS net_quantity,
           coalesce(r.amount_total, 0) + coalesce(v.amount, 0) AS net_amount,
           v.reversal_ids
    FROM reimbursement_events r
    LEFT JOIN reversal v USING (reimbursement_id, fnsku)
    WHERE lower(r.reason) <> 'reimbursement_reversal'
       OR r.original_reimbursement_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM reimbursement_events o
                      WHERE o.reimbursement_id = r.original_reimbursement_id
                        AND o.fnsku IS NOT DISTINCT FROM r.fnsku)"""

# The canonical views. Rules query these, never the raw_ tables.
VIEWS = [
    "CREATE OR REPLACE VIEW ledger AS SELECT * EXCLUDE (_key, _occurrence) FROM raw_ledger",
    "CREATE OR REPLACE VIEW adjustments AS "
    "SELECT * EXCLUDE (_key, _occurrence) FROM raw_adjustments",
    "CREATE OR REPLACE VIEW returns AS SELECT * EXCLUDE (_key, _occurrence) FROM raw_returns",
    # Every reimbursement row as Amazon wrote it, reversals included.
    "CREATE OR REPLACE VIEW reimbursement_events AS "
    "SELECT * EXCLUDE (_key, _occurrence) FROM raw_reimbursements",
    f"CREATE OR REPLACE VIEW reimbursements AS {REIMBURSEMENTS_SQL}",
    """CREATE OR REPLACE VIEW settlement_lines AS
    SELECT l.* EXCLUDE (_key, _occurrence, currency, total_amount),
           s.currency, coalesce(l.posted_date, CAST(l.posted_date_time AS DATE)) AS posted_on
    FROM raw_settlement l JOIN settlements s USING (settlement_id)""",
    "CREATE OR REPLACE VIEW transactions AS "
    "SELECT * EXCLUDE (_key, _occurrence) FROM raw_transactions",
    # An order line's latest state across downloads.
    """CREATE OR REPLACE VIEW orders AS
    SELECT o.* EXCLUDE (_key, _occurrence)
    FROM raw_orders o JOIN files f ON f.file_id = o._file_id
    QUALIFY row_number() OVER (
        PARTITION BY amazon_order_id, sku
        ORDER BY last_updated_date DESC NULLS LAST, f.mtime DESC, f.sha256 DESC, o._line
    ) = 1""",
    """CREATE OR REPLACE VIEW removals AS
    SELECT * EXCLUDE (_key, _occurrence) FROM raw_removals
    QUALIFY row_number() OVER (
        PARTITION BY order_id, fnsku ORDER BY last_updated_date DESC NULLS LAST, _line
    ) = 1""",
    # A shipment item's most advanced state across the exports loaded.
    """CREATE OR REPLACE VIEW inbound_items AS
    SELECT * EXCLUDE (_key, _occurrence, rank) FROM (
        SELECT *, CASE upper(shipment_status)
            WHEN 'CLOSED' THEN 6 WHEN 'CANCELLED' THEN 6 WHEN 'DELETED' THEN 6
            WHEN 'RECEIVING' THEN 5 WHEN 'CHECKED_IN' THEN 4 WHEN 'DELIVERED' THEN 3
            WHEN 'IN_TRANSIT' THEN 2 WHEN 'SHIPPED' THEN 1 ELSE 0 END AS rank
        FROM raw_inbound)
    QUALIFY row_number() OVER (
        PARTITION BY shipment_id, fnsku
        ORDER BY rank DESC, quantity_received DESC NULLS LAST, closed_date DESC NULLS LAST,
                 quantity_shipped DESC NULLS LAST, _line
    ) = 1""",
    "CREATE OR REPLACE VIEW fee_preview AS "
    "SELECT * EXCLUDE (_key, _occurrence) FROM raw_fee_preview",
    """CREATE OR REPLACE VIEW fee_preview_latest AS
    SELECT * FROM fee_preview
    QUALIFY row_number() OVER (PARTITION BY sku ORDER BY snapshot_date DESC, _file_id DESC) = 1""",
    # The seller's newest catalog file decides each SKU.
    """CREATE OR REPLACE VIEW catalog AS
    SELECT c.* EXCLUDE (_key, _occurrence)
    FROM raw_catalog c JOIN files f ON f.file_id = c._file_id
    QUALIFY row_number() OVER (
        PARTITION BY sku ORDER BY f.mtime DESC, f.sha256 DESC, c._line DESC) = 1""",
    # Every evidence row can cite its file.
    """CREATE OR REPLACE VIEW provenance AS
    SELECT file_id AS _file_id, name AS source_file, sha256 AS file_sha256, report FROM files""",
]


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list) -> None:
    """Insert Python rows (one value per column of `table`, in order), INSERT_BATCH rows a
    statement: each column is passed as one list and unnested, which is hundreds of times faster
    than a statement per row, and a batch at a time bounds the memory the lists take once
    DuckDB holds them as values."""
    if not rows:
        return
    types = [r[0] for r in con.execute(f"SELECT column_type FROM (DESCRIBE {table})").fetchall()]
    select = ", ".join(f"unnest(${i + 1}::{kind}[])" for i, kind in enumerate(types))
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start : start + INSERT_BATCH]
        columns = [list(column) for column in zip(*batch, strict=True)]
        con.execute(f"INSERT INTO {table} SELECT {select}", columns)
