"""A report of more than 1 GiB loads in bounded memory: DuckDB reads it in a separate process
under the store's memory limit, and the process never holds the file. Every row keeps its own
line in the file."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb

from auditor.store import connect

GIB = 1024**3
HEADER = [
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity",
    "Fulfillment Center", "Disposition", "Reason", "Country", "Reconciled Quantity",
    "Unreconciled Quantity", "Date and Time",
]  # fmt: skip


def write_ledger(path, rows: int) -> None:
    names = ", ".join(f'{e} AS "{h}"' for h, e in zip(HEADER, EXPRESSIONS, strict=True))
    duckdb.sql(
        f"""COPY (SELECT {names} FROM range({rows}) t(i))
        TO '{path}' (DELIMITER '\t', HEADER, QUOTE '"', FORCE_QUOTE *)"""
    )


EXPRESSIONS = [
    "strftime(DATE '2025-01-01' + CAST(i % 365 AS INTEGER), '%m/%d/%Y')",
    "'X00' || lpad(CAST(i % 50000 AS VARCHAR), 7, '0')",
    "'B00' || lpad(CAST(i % 50000 AS VARCHAR), 7, '0')",
    "'SKU-' || CAST(i % 50000 AS VARCHAR)",
    "'Stainless steel travel mug, 12 oz, double wall, vacuum insulated, leak proof lid, "
    "colour ' || CAST(i % 97 AS VARCHAR)",
    "CASE WHEN i % 10 = 0 THEN 'Adjustments' ELSE 'Shipments' END",
    "CAST(100000000 + i AS VARCHAR)",
    "CASE WHEN i % 10 = 0 THEN '-1' ELSE '-2' END",
    "'PHX7'",
    "'SELLABLE'",
    "CASE WHEN i % 10 = 0 THEN 'M' ELSE '' END",
    "'US'",
    "''",
    "''",
    "strftime(DATE '2025-01-01' + CAST(i % 365 AS INTEGER), '%Y-%m-%dT00:00:00-0700')",
]
ROWS = 4_700_000


def test_a_file_over_one_gib_loads_in_bounded_memory(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    path = folder / "ledger-2025.txt"
    write_ledger(path, ROWS)
    assert path.stat().st_size >= GIB
    db = tmp_path / "seller.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-c", "from auditor.cli import main; main()", "ingest", str(folder),
         "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    errors = process.stderr.read().decode()
    process.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, errors
    assert usage.ru_maxrss * 1024 < 2 * GIB  # ru_maxrss is in KiB on Linux
    con = connect(db)
    assert con.execute("SELECT count(*), sum(quantity) FROM ledger").fetchone() == (
        ROWS,
        -(ROWS // 10) - 2 * (ROWS - ROWS // 10),
    )
    assert con.execute("SELECT rows_read, rows_new FROM files").fetchone() == (ROWS, ROWS)
    # row i (Reference ID 100000000 + i) is on line i + 2, under the header
    assert con.execute(
        "SELECT count(*) FILTER (WHERE _line <> CAST(reference_id AS BIGINT) - 100000000 + 2), "
        "min(_line), max(_line) FROM raw_ledger"
    ).fetchone() == (0, 2, ROWS + 1)
    con.close()
