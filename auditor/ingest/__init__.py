"""Load a folder of Seller Central downloads into the seller's database.

Each file is read by DuckDB's CSV reader into a scratch table (`reading`), typed and checked in
one SQL statement (`staging`), merged into its report's table (`merging`), and recorded in
`files` — all in one transaction, so a file goes in whole or not at all. A file whose SHA-256 is
already recorded is not read again.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from auditor.ingest.errors import LoadError, duckdb_message
from auditor.ingest.merging import MERGERS
from auditor.ingest.reading import drop_scratch
from auditor.ingest.staging import file_currency, stage
from auditor.parsing import sql_text
from auditor.prepare import PrepareError, readable, scan
from auditor.reports import EVENT_DATE
from auditor.sniff import SAMPLE_BYTES, NotAReport, Sniffed, sniff
from auditor.sources import Source, SourceError, iter_sources, remove_workdir

__all__ = ["DATE_COLUMN", "FileResult", "LoadError", "Progress", "ingest", "load_source"]

# The column that dates each report's rows, for the summary's "date range covered".
DATE_COLUMN = {**EVENT_DATE, "fee_preview": "snapshot_date", "settlement": "posted_date"}
# Larger than any seller's files: no automatic checkpoint while loading.
INGEST_CHECKPOINT_THRESHOLD = "64GB"


@dataclass
class FileResult:
    name: str
    report: str | None  # None: not a report we read
    status: str  # loaded | present | unknown | error
    rows_read: int = 0
    rows_new: int = 0
    rows_present: int = 0
    min_date: dt.date | None = None
    max_date: dt.date | None = None
    message: str = ""
    rows_set_aside: int = 0  # rows read but kept out of the tables (the `set_aside` table)


# (file name, bytes done, rows read): called with 0, 0 as a file starts loading, with its size
# and rows when it is done
Progress = Callable[[str, int, int], None]


def ingest(
    con: duckdb.DuckDBPyConnection,
    reports_dir: str | Path,
    progress: Progress | None = None,
    encoding: str | None = None,
) -> list[FileResult]:
    """Load every report below `reports_dir`; one result per file seen, in a stable order."""
    workdir = Path(tempfile.mkdtemp(prefix="fba-audit-"))
    results: list[FileResult] = []
    con.execute("DELETE FROM refused_files")
    # Each file is its own transaction, written to the write-ahead log as it commits; the
    # database file itself is brought up to date once, when every file is in (DuckDB would
    # otherwise checkpoint every few files, a third of the loading time).
    con.execute(f"SET checkpoint_threshold = {sql_text(INGEST_CHECKPOINT_THRESHOLD)}")
    try:
        for item in iter_sources(Path(reports_dir), workdir, exclude=_database_files(con)):
            if isinstance(item, SourceError):
                name, _, message = str(item).partition(": ")
                results.append(FileResult(name, None, "error", message=message))
                continue
            if progress:
                progress(item.name, 0, 0)  # the file now loading
            results.append(load_source(con, item, workdir, encoding))
            if progress:
                progress(item.name, item.path.stat().st_size, results[-1].rows_read)
            _pause_for_tests(len(results))
        con.execute("CHECKPOINT")
    finally:
        remove_workdir(workdir)
        con.execute("RESET checkpoint_threshold")
        refused = [[r.name, r.report, r.message] for r in results if r.status == "error"]
        if refused:
            con.execute(
                "INSERT INTO refused_files SELECT unnest(?), unnest(?), unnest(?), "
                "now()::TIMESTAMP",
                [list(column) for column in zip(*refused, strict=True)],
            )
    return results


def _pause_for_tests(files_seen: int) -> None:
    """FBA_AUDIT_PAUSE_AFTER_FILES=N stops loading after N files (and says so on stderr), so a
    test can kill a run at a known point."""
    if os.environ.get("FBA_AUDIT_PAUSE_AFTER_FILES") == str(files_seen):
        print(f"paused after {files_seen} files", file=sys.stderr, flush=True)
        time.sleep(600)


def _database_files(con: duckdb.DuckDBPyConnection) -> tuple[Path, ...]:
    paths = [
        row[0]
        for row in con.execute(
            "SELECT path FROM duckdb_databases() WHERE path IS NOT NULL"
        ).fetchall()
    ]
    return tuple(Path(p) for path in paths for p in (path, path + ".wal"))


def load_source(
    con: duckdb.DuckDBPyConnection, source: Source, workdir: Path, encoding: str | None = None
) -> FileResult:
    with open(source.path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if not sample.strip():
        return FileResult(source.name, None, "unknown", message="empty file")
    try:
        sniffed = sniff(sample, source.name, encoding)
    except NotAReport:
        return FileResult(source.name, None, "unknown", message="not a report fba-audit reads")
    report = sniffed.report
    # One pass over the bytes: a file already loaded is not read again. A file of the same path,
    # size and modification time as one read before is not even hashed again.
    stat = source.path.stat()
    seen = [str(source.path.resolve()), stat.st_size, stat.st_mtime_ns]
    digest = con.execute(
        "SELECT sha256 FROM seen_files WHERE path = ? AND size = ? AND mtime_ns = ?", seen
    ).fetchone()
    scanned = None
    if digest is None:
        try:
            scanned = scan(source.path, sniffed)
        except PrepareError as error:
            return FileResult(source.name, report.key, "error", message=str(error))
        con.execute(
            "INSERT OR REPLACE INTO seen_files VALUES (?, ?, ?, ?)", [*seen, scanned.sha256]
        )
        digest = scanned.sha256
    else:
        (digest,) = digest
    known = con.execute(
        "SELECT rows_read, min_date, max_date, coalesce(rows_set_aside, 0) FROM files "
        "WHERE sha256 = ?",
        [digest],
    ).fetchone()
    if known:
        rows, first, last, aside = known
        return FileResult(
            source.name,
            report.key,
            "present",
            rows,
            0,
            rows - aside,
            first,
            last,
            rows_set_aside=aside,
        )
    try:
        if scanned is None:  # seen before but not loaded then (it was refused): read it again
            scanned = scan(source.path, sniffed)
        path = readable(source.path, sniffed, scanned, workdir)
        return _load(con, source, sniffed, path, digest)
    except (LoadError, PrepareError) as error:
        return FileResult(source.name, report.key, "error", message=str(error))


def _load(
    con: duckdb.DuckDBPyConnection, source: Source, sniffed: Sniffed, path: Path, digest: str
) -> FileResult:
    report = sniffed.report
    con.execute("BEGIN TRANSACTION")
    try:
        file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
        rows_read, aside = stage(con, source, sniffed, file_id, path)
        rows_new = MERGERS[report.merge](con, report, source)
        rows_present = rows_read - rows_new - len(aside)
        span = (
            con.execute(
                f'SELECT min("{DATE_COLUMN.get(report.key, "_line")}")::DATE, '
                f'max("{DATE_COLUMN.get(report.key, "_line")}")::DATE FROM _stage'
            ).fetchone()
            if report.key in DATE_COLUMN
            else (None, None)
        )
        currency = file_currency(con, report, sniffed)
        con.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "now()::TIMESTAMP, ?)",
            [
                file_id,
                digest,
                source.name,
                report.key,
                sniffed.encoding,
                "tab" if sniffed.delimiter == "\t" else sniffed.delimiter,
                sniffed.header_line,
                rows_read,
                rows_new,
                rows_present,
                span[0],
                span[1],
                currency,
                source.mtime,
                len(aside),
            ],
        )
        con.execute(
            "INSERT INTO journal_files SELECT ? WHERE EXISTS (SELECT 1 FROM run_journal)",
            [file_id],
        )
        drop_scratch(con)
        con.execute("COMMIT")
    except LoadError:
        con.execute("ROLLBACK")
        raise
    except duckdb.Error as error:
        con.execute("ROLLBACK")
        raise LoadError(duckdb_message(error)) from None
    return FileResult(
        source.name,
        report.key,
        "loaded",
        rows_read,
        rows_new,
        rows_present,
        span[0],
        span[1],
        message=_aside_message(aside),
        rows_set_aside=len(aside),
    )


def _aside_message(aside: list[tuple[int, str]]) -> str:
    if not aside:
        return ""
    shown = "; ".join(f"line {line}: {reason}" for line, reason in aside[:3])
    more = f" (and {len(aside) - 3} more)" if len(aside) > 3 else ""
    return (
        f"{len(aside)} {'row' if len(aside) == 1 else 'rows'} set aside, not loaded: "
        f"{shown}{more}; check them in Seller Central "
        "(all are listed in the workbook's Inputs sheet)"
    )
