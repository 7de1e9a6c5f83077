"""Load a folder of Seller Central downloads into the seller's database.

Each file is read by DuckDB's CSV reader into a text table, typed in one SQL statement, merged
into its report's table, and recorded in `files` — all in one transaction, so a
file goes in whole or not at all. A file whose SHA-256 is already recorded is not read again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from auditor import parsing
from auditor.parsing import sql_text
from auditor.prepare import PrepareError, readable, scan
from auditor.reports import (
    EVENT_DATE,
    FUTURE_SLACK_DAYS,
    LATEST,
    MULTISET,
    NATURAL_KEY,
    NEVER_NEGATIVE,
    SETTLEMENT,
    SNAPSHOT,
    SQL_TYPES,
    Report,
)
from auditor.sniff import SAMPLE_BYTES, NotAReport, Sniffed, sniff
from auditor.sources import Source, SourceError, iter_sources, remove_workdir

# The column that dates each report's rows, for the summary's "date range covered".
DATE_COLUMN = {**EVENT_DATE, "fee_preview": "snapshot_date", "settlement": "posted_date"}

# Date Range report `type` values in each locale, to one English word.
TRANSACTION_TYPES = {
    "order": "Order",
    "bestellung": "Order",
    "commande": "Order",
    "pedido": "Order",
    "ordine": "Order",
    "注文": "Order",
    "refund": "Refund",
    "erstattung": "Refund",
    "remboursement": "Refund",
    "reembolso": "Refund",
    "rimborso": "Refund",
    "返金": "Refund",
    "adjustment": "Adjustment",
    "anpassung": "Adjustment",
    "ajustement": "Adjustment",
    "ajuste": "Adjustment",
    "modifica": "Adjustment",
    "調整": "Adjustment",
    "transfer": "Transfer",
    "übertrag": "Transfer",
    "transfert": "Transfer",
    "service fee": "Service Fee",
    "servicegebühr": "Service Fee",
    "fba inventory fee": "FBA Inventory Fee",
    "fba lagergebühr": "FBA Inventory Fee",
}
MARKETPLACE_CURRENCY = {
    "amazon.com": "USD",
    "amazon.ca": "CAD",
    "amazon.com.mx": "MXN",
    "amazon.com.br": "BRL",
    "amazon.co.uk": "GBP",
    "amazon.de": "EUR",
    "amazon.fr": "EUR",
    "amazon.it": "EUR",
    "amazon.es": "EUR",
    "amazon.nl": "EUR",
    "amazon.com.be": "EUR",
    "amazon.ie": "EUR",
    "amazon.se": "SEK",
    "amazon.pl": "PLN",
    "amazon.com.tr": "TRY",
    "amazon.co.jp": "JPY",
    "amazon.com.au": "AUD",
    "amazon.in": "INR",
    "amazon.ae": "AED",
    "amazon.sg": "SGD",
}
_FILE_NAME_DATE = re.compile(r"(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
SAMPLE_ROWS = 2000
# Larger than any seller's files: no automatic checkpoint while loading.
INGEST_CHECKPOINT_THRESHOLD = "64GB"
# The first data row of a settlement file carries only its totals.
SETTLEMENT_TOTALS_ROW = "transaction_type IS NULL AND amount_type IS NULL AND amount IS NULL"


class LoadError(Exception):
    """A file that cannot be loaded. The message is one line: what is wrong and what to do."""


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
        rows_read, aside = _stage(con, source, sniffed, file_id, path)
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
        currency = _file_currency(con, report, sniffed)
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
        _drop_scratch(con)
        con.execute("COMMIT")
    except LoadError:
        con.execute("ROLLBACK")
        raise
    except duckdb.Error as error:
        con.execute("ROLLBACK")
        raise LoadError(_duckdb_message(error)) from None
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


def _drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_raw", "_sample", "_stage", "_rejects", "_reject_scans", "_aside"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _duckdb_message(error: duckdb.Error) -> str:
    text = " ".join(str(error).split())
    line = re.search(r"[Ll]ine:? (\d+)", text)
    first = text.split(". ")[0][:200]
    return f"line {line.group(1)}: {first}" if line else first


# -- reading ---------------------------------------------------------------------------------
#
# A file is read once by DuckDB's CSV reader into `_raw`. Columns whose sampled values are plain
# (numbers with a point, dates in one exact format) are typed by the reader itself as it reads,
# which costs almost nothing; the others are read as text and typed in SQL. Should a later row not
# fit the type its sample promised, the file is read again with every column as text, so the
# result never depends on which rows were sampled.

HEAD_ROWS = 5000


@dataclass
class Typing:
    native: dict[str, str]  # raw column -> the DuckDB type the reader gives it
    dateformat: str | None = None
    timestampformat: str | None = None


def _raw_columns(sniffed: Sniffed) -> list[str]:
    return [f"c{i}" for i in range(len(sniffed.header))]


def _csv_options(sniffed: Sniffed) -> str:
    quote = "'\"'" if sniffed.quoted else "''"
    # A header ending in a stray delimiter names an empty last column its rows may lack;
    # anywhere else a short row is a cut-off download and is refused.
    padding = "true" if sniffed.header and not sniffed.header[-1] else "false"
    delimiter = "'\\t'" if sniffed.delimiter == "\t" else "','"
    return (
        f"delim = {delimiter}, quote = {quote}, escape = {quote}, header = false, "
        f"skip = {sniffed.header_line}, auto_detect = false, strict_mode = true, "
        f"null_padding = {padding}, max_line_size = 16777216"
    )


def _read_head(con: duckdb.DuckDBPyConnection, sniffed: Sniffed, path: Path) -> None:
    """The file's first rows, as text, into `_sample`."""
    _drop_scratch(con)
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in _raw_columns(sniffed)) + "}"
    con.execute(
        f"""CREATE TEMP TABLE _sample AS SELECT * FROM read_csv(
            ?, {_csv_options(sniffed)}, columns = {columns}, ignore_errors = true)
        LIMIT {HEAD_ROWS}""",
        [str(path)],
    )


def _read_raw(
    con: duckdb.DuckDBPyConnection, sniffed: Sniffed, path: Path, typing: Typing | None
) -> bool:
    """Read the file into `_raw`; False when a value did not fit the type chosen for its column
    (read again as text). A row with the wrong number of fields refuses the file."""
    con.execute("DROP TABLE IF EXISTS _raw")
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _reject_scans")
    native = typing.native if typing else {}
    columns = (
        "{" + ", ".join(f"'{c}': '{native.get(c, 'VARCHAR')}'" for c in _raw_columns(sniffed)) + "}"
    )
    formats = ""
    if typing and native:
        formats = ", thousands = ','"
        if typing.dateformat:
            formats += f", dateformat = {sql_text(typing.dateformat)}"
        if typing.timestampformat:
            formats += f", timestampformat = {sql_text(typing.timestampformat)}"
    con.execute(
        f"""CREATE TEMP TABLE _raw AS SELECT * FROM read_csv(
            ?, {_csv_options(sniffed)}, columns = {columns}{formats},
            store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans',
            rejects_limit = 20)""",
        [str(path)],
    )
    rejected = con.execute(
        "SELECT line, error_type, error_message, count(DISTINCT line) OVER () FROM _rejects "
        "ORDER BY error_type = 'CAST', line LIMIT 1"
    ).fetchone()
    if rejected is None:
        return True
    line, kind, message, count = rejected
    if kind == "CAST" and native:
        return False
    more = f" (and {count - 1} more bad rows)" if count > 1 else ""
    raise LoadError(f"line {line}: {_explain(kind, message)}{more}")


def _explain(kind: str, message: str) -> str:
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message or "")
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS") and found:
        expected, got = map(int, found.groups())
        if got < expected:
            return (
                f"expected {expected} columns, found {got} — the row is cut short, was the "
                "download interrupted? Download the report again (file not loaded)"
            )
        return (
            f"expected {expected} columns, found {got}; download the report again (file not loaded)"
        )
    if kind == "INVALID ENCODING":
        return (
            "bytes that are not UTF-8 text; re-save the file as UTF-8 or pass --encoding "
            "cp1252 (file not loaded)"
        )
    return f"{(message or kind).split('.')[0]}; download the report again (file not loaded)"


# -- typing ----------------------------------------------------------------------------------


def _spread_sample(con: duckdb.DuckDBPyConnection) -> None:
    """`_sample` from the whole of `_raw` (its head and a spread of rows), for the text read."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _sample AS
        (SELECT * FROM _raw LIMIT {SAMPLE_ROWS})
        UNION ALL
        (SELECT * FROM _raw USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"""
    )


def _samples(con: duckdb.DuckDBPyConnection, columns: list[str]) -> dict[str, list[str]]:
    """The non-empty values of `columns` in `_sample`."""
    if not columns:
        return {}
    rows = con.execute(f"SELECT {', '.join(columns)} FROM _sample").fetchall()
    return {
        column: list(dict.fromkeys(r[i] for r in rows if r[i] is not None and r[i].strip()))
        for i, column in enumerate(columns)
    }


@dataclass
class Formats:
    decimal_comma: bool
    dates: dict[str, parsing.DateFormat]  # raw column -> its date order and SQL
    samples: dict[str, list[str]]


def _formats(con: duckdb.DuckDBPyConnection, sniffed: Sniffed) -> Formats:
    """Decide, from `_sample`, how the file writes its numbers and dates."""
    report = sniffed.report
    typed = {
        column.name: f"c{position}"
        for position, column in sniffed.mapping.items()
        if column.kind != "text"
    }
    samples = _samples(con, list(typed.values()))
    decimal_comma = parsing.uses_decimal_comma(
        [
            v
            for name, raw in typed.items()
            if report.column(name).kind in ("money", "decimal")
            for v in samples[raw][:200]
        ]
    )
    dayfirst = decimal_comma or sniffed.preamble_currency in ("GBP", "EUR")
    date_columns = {
        raw: samples[raw]
        for name, raw in typed.items()
        if report.column(name).kind in ("date", "timestamp")
    }
    dates = parsing.choose_date_formats(con, "_sample", date_columns, dayfirst)
    return Formats(decimal_comma, dates, samples)


def _native_typing(con: duckdb.DuckDBPyConnection, sniffed: Sniffed, formats: Formats) -> Typing:
    """The columns DuckDB's reader can type itself: plain numbers, and dates in the one exact
    format per kind (date, timestamp) that most of the file's date columns use."""
    native: dict[str, str] = {}
    exact: dict[str, dict[str, str]] = {"date": {}, "timestamp": {}}
    for position, column in sniffed.mapping.items():
        raw = f"c{position}"
        values = formats.samples.get(raw)
        if column.kind in ("int", "money", "decimal"):
            if not formats.decimal_comma and parsing.reads_natively(values or [], column.kind):
                native[raw] = SQL_TYPES[column.kind]
        elif column.kind in ("date", "timestamp") and values:
            found = parsing.exact_format(con, "_sample", raw, formats.dates[raw], column.kind)
            if found:
                exact[column.kind][raw] = found
    chosen = {}
    for kind, by_column in exact.items():
        if by_column:
            best = max(sorted(set(by_column.values())), key=list(by_column.values()).count)
            chosen[kind] = best
            native.update({raw: SQL_TYPES[kind] for raw, f in by_column.items() if f == best})
    return Typing(native, chosen.get("date"), chosen.get("timestamp"))


def _read(con: duckdb.DuckDBPyConnection, sniffed: Sniffed, path: Path) -> tuple[Formats, Typing]:
    """Read the file into `_raw`, typed by the reader where its head allows (see above)."""
    _read_head(con, sniffed, path)
    formats = _formats(con, sniffed)
    typing = _native_typing(con, sniffed, formats)
    if _read_raw(con, sniffed, path, typing):
        return formats, typing
    _read_raw(con, sniffed, path, None)
    _spread_sample(con)
    return _formats(con, sniffed), Typing({})


def _stage(
    con: duckdb.DuckDBPyConnection, source: Source, sniffed: Sniffed, file_id: int, path: Path
) -> tuple[int, list[tuple[int, str]]]:
    """Type the file's rows into `_stage`, shaped like the report's table with each row's event
    identity (`_key`, `_occurrence`); return the rows read and the (line, reason) of each row
    set aside."""
    report = sniffed.report
    formats, typing = _read(con, sniffed, path)
    by_name = {column.name: f"c{position}" for position, column in sniffed.mapping.items()}
    selects, checks = [], []
    for column in report.columns:
        raw = by_name.get(column.name)
        sql_type = SQL_TYPES[column.kind]
        if raw is None:
            selects.append(f'CAST(NULL AS {sql_type}) AS "{column.name}"')
            continue
        if raw in typing.native:
            expr = raw
        elif column.kind == "text":
            expr = parsing.text_sql(raw)
        elif column.kind in ("date", "timestamp"):
            expr = parsing.date_sql(formats.dates[raw], column.kind)
        else:
            expr = parsing.number_sql(raw, formats.decimal_comma, column.kind)
        selects.append(f'{expr} AS "{column.name}"')
        if column.kind != "text" and raw not in typing.native:
            checks.append(
                f"CASE WHEN nullif(trim({raw}), '') IS NOT NULL AND ({expr}) IS NULL "
                f"THEN '{column.name}=' || {raw} END"
            )

    extras = [
        (sniffed.header[p] or f"column {p + 1}", f"c{p}")
        for p in range(len(sniffed.header))
        if p not in sniffed.mapping and sniffed.header[p]
    ]
    extra = (
        "json_object(" + ", ".join(f"{sql_text(n)}, {c}" for n, c in extras) + ")::VARCHAR"
        if extras
        else "CAST(NULL AS VARCHAR)"
    )
    not_empty = " OR ".join(
        f"{c} IS NOT NULL" if c in typing.native else f"nullif(trim({c}), '') IS NOT NULL"
        for c in _raw_columns(sniffed)
    )
    problems = f"concat_ws('; ', {', '.join(checks)})" if checks else "''"
    typed = f"""SELECT {", ".join(selects)},
               {file_id}::INTEGER AS _file_id,
               ({sniffed.header_line} + 1 + rowid - (SELECT min(rowid) FROM _raw))::BIGINT
                   AS _line,
               {extra} AS extra,
               {problems} AS _problem
        FROM _raw WHERE {not_empty}"""
    replace, add = _report_specific(source, sniffed)
    if replace or add:
        typed = (
            "SELECT * "
            + (f"REPLACE ({', '.join(f'{e} AS {n}' for n, e in replace.items())})" * bool(replace))
            + "".join(f", {e} AS {n}" for n, e in add.items())
            + f" FROM ({typed})"
        )
    key = _event_identity(report)
    if key:
        keys = ", ".join(f'"{k}"' for k in key)
        typed = f"SELECT *, hash({keys}) AS _key, 1 AS _occurrence FROM ({typed})"
    else:
        typed = f"SELECT *, NULL::UBIGINT AS _key, NULL::INTEGER AS _occurrence FROM ({typed})"
    con.execute(f"CREATE TEMP TABLE _stage AS {typed}")
    if checks:
        bad = con.execute(
            "SELECT _line, _problem, count(*) OVER () FROM _stage WHERE _problem <> '' "
            "ORDER BY _line LIMIT 1"
        ).fetchone()
        if bad:
            line, problem, count = bad
            name, _, value = problem.split("; ")[0].partition("=")
            more = f" (and {count - 1} more rows)" if count > 1 else ""
            raise LoadError(
                f"line {line}: cannot read {name} value {value!r} as {report.column(name).kind}"
                f"{more}; fix or remove that row and load the file again (file not loaded)"
            )
    aside = _set_aside(con, report, file_id)
    if key:
        _number_repeats(con)
    data_rows = f"NOT ({SETTLEMENT_TOTALS_ROW})" if report.key == "settlement" else "true"
    kept = con.execute(f"SELECT count(*) FILTER (WHERE {data_rows}) FROM _stage").fetchone()[0]
    return kept + len(aside), aside


def _set_aside(con: duckdb.DuckDBPyConnection, report: Report, file_id: int) -> list[tuple]:
    """Move the rows no report of this kind can hold (a negative count, a date that has not
    happened) from `_stage` to `set_aside`; return their (line, reason), in line order."""
    reasons = [
        f"CASE WHEN \"{c}\" < 0 THEN '{c} is negative, which this report never is' END"
        for c in NEVER_NEGATIVE.get(report.key, ())
    ]
    dated = EVENT_DATE.get(report.key)
    if dated:
        reasons.append(
            f'CASE WHEN CAST("{dated}" AS DATE) > current_date + {FUTURE_SLACK_DAYS} '
            f"THEN '{dated} ' || CAST(\"{dated}\" AS DATE) || ' is in the future' END"
        )
    if not reasons:
        return []
    values = ", ".join(f'{sql_text(c.name)}: "{c.name}"' for c in report.columns)
    con.execute(
        f"""CREATE TEMP TABLE _aside AS
        SELECT _line, _why, to_json({{{values}}})::VARCHAR AS "row"
        FROM (SELECT *, nullif(concat_ws('; ', {", ".join(reasons)}), '') AS _why FROM _stage)
        WHERE _why IS NOT NULL"""
    )
    aside = con.execute("SELECT _line, _why FROM _aside ORDER BY _line").fetchall()
    if aside:
        con.execute(f'INSERT INTO set_aside SELECT {file_id}, _line, _why, "row" FROM _aside')
        con.execute("DELETE FROM _stage WHERE _line IN (SELECT _line FROM _aside)")
    return aside


def _event_identity(report: Report) -> list[str]:
    """The columns that identify one row when files overlap (none for settlements: a whole
    settlement is loaded once)."""
    if report.merge == SETTLEMENT:
        return []
    if report.merge == LATEST:
        return [c.name for c in report.columns]
    return list(report.key_columns)


def _number_repeats(con: duckdb.DuckDBPyConnection) -> None:
    """Rows identical in their event identity within one file are separate events: number them
    1, 2, … in file order (`_occurrence`), so another download's copies match one for one. Only
    the few repeated keys are numbered; the rest stay 1."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _repeats AS "
        "SELECT _key FROM _stage GROUP BY _key HAVING count(*) > 1"
    )
    if con.execute("SELECT count(*) FROM _repeats").fetchone()[0]:
        con.execute(
            """UPDATE _stage SET _occurrence = n.occurrence
            FROM (SELECT _line, row_number() OVER (PARTITION BY _key ORDER BY _line)::INTEGER
                         AS occurrence
                  FROM _stage WHERE _key IN (SELECT _key FROM _repeats)) n
            WHERE _stage._line = n._line"""
        )
    con.execute("DROP TABLE _repeats")


def _report_specific(source: Source, sniffed: Sniffed) -> tuple[dict[str, str], dict[str, str]]:
    """Columns a report needs rewritten (name -> SQL) and added (name -> SQL) after typing."""
    key = sniffed.report.key
    if key == "transactions":
        mapping = (
            "MAP {"
            + ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in TRANSACTION_TYPES.items())
            + "}"
        )
        markets = (
            "MAP {"
            + ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in MARKETPLACE_CURRENCY.items())
            + "}"
        )
        preamble = sniffed.preamble_currency
        currency = sql_text(preamble) if preamble else "NULL"
        return (
            {"type": f"coalesce({mapping}[lower(type)], type)"},
            {
                "type_raw": "type",
                "currency": f"coalesce({currency}, {markets}[lower(marketplace)])",
            },
        )
    if key == "fee_preview":
        found = _FILE_NAME_DATE.search(Path(source.name).name)
        day = (
            dt.date(*map(int, found.groups()))
            if found
            else dt.datetime.fromtimestamp(source.mtime).date()
        )
        return {}, {"snapshot_date": f"DATE '{day.isoformat()}'"}
    return {}, {}


def _file_currency(con: duckdb.DuckDBPyConnection, report: Report, sniffed: Sniffed) -> str | None:
    column = {
        "settlement": "currency",
        "reimbursements": "currency_unit",
        "fee_preview": "currency",
        "orders": "currency",
        "removals": "currency",
        "transactions": "currency",
        "catalog": "currency",
    }.get(report.key)
    if column is None:
        return None
    return con.execute(
        f"SELECT string_agg(DISTINCT {column}, ',' ORDER BY {column}) FROM _stage"
    ).fetchone()[0]


# -- merging ---------------------------------------------------------------------------------


def _target_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _insert_new(con: duckdb.DuckDBPyConnection, report: Report) -> int:
    """Insert the staged rows whose event identity (and occurrence number) the table does not
    hold yet. Only the table's rows dated within the file's dates can match, so only those are
    compared; a file that overlaps nothing is appended as it is."""
    key = _event_identity(report)
    columns = ", ".join(f'"{c}"' for c in _target_columns(con, report.table))
    existing = report.table
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _stage)").fetchall())
    dated = next((k for k in key if types[k] in ("DATE", "TIMESTAMP")), None)
    if dated:
        first, last, undated = con.execute(
            f'SELECT min("{dated}"), max("{dated}"), bool_or("{dated}" IS NULL) FROM _stage'
        ).fetchone()
        within = [f'"{dated}" BETWEEN ? AND ?'] if first is not None else []
        if undated:
            within.append(f'"{dated}" IS NULL')
        existing = f"(SELECT * FROM {report.table} WHERE {' OR '.join(within) or 'false'})"
        params = [first, last] if first is not None else []
    else:
        params = []
    before = con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0]
    overlaps = con.execute(f"SELECT EXISTS (SELECT 1 FROM {existing})", params).fetchone()[0]
    if not overlaps:
        _append(con, f"INSERT INTO {report.table} ({columns}) SELECT {columns} FROM _stage")
    else:
        same = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in key)
        _append(
            con,
            f"""INSERT INTO {report.table} ({columns})
            SELECT {columns} FROM _stage s
            WHERE NOT EXISTS (SELECT 1 FROM {existing} t
                              WHERE t._key = s._key AND t._occurrence = s._occurrence
                                AND {same})""",
            params,
        )
    return con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0] - before


def _append(con: duckdb.DuckDBPyConnection, insert: str, params: list | None = None) -> None:
    """Run an INSERT into a report's table without keeping the rows' order: each row carries its
    file and line, and DuckDB then writes the rows straight to compressed storage in parallel
    (about half the time)."""
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(insert, params or [])
    finally:
        con.execute("SET preserve_insertion_order = true")


def _merge_multiset(con, report: Report, source: Source) -> int:
    return _insert_new(con, report)


def _merge_natural_key(con, report: Report, source: Source) -> int:
    # A natural key: the first row in the file is kept.
    con.execute("DELETE FROM _stage WHERE _occurrence > 1")
    return _insert_new(con, report)


def _merge_latest(con, report: Report, source: Source) -> int:
    # Every distinct row is kept; the views pick the newest per key.
    return _insert_new(con, report)


def _merge_settlement(con, report: Report, source: Source) -> int:
    """A settlement is loaded once; the same id with other rows is a conflict."""
    line_columns = [c.name for c in report.columns]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _totals AS
        SELECT settlement_id, any_value(settlement_start_date) AS settlement_start_date,
               any_value(settlement_end_date) AS settlement_end_date,
               any_value(deposit_date) AS deposit_date, any_value(total_amount) AS total_amount,
               any_value(currency) AS currency, min(_line) AS _line
        FROM _stage WHERE {SETTLEMENT_TOTALS_ROW}
        GROUP BY settlement_id"""
    )
    mixed = con.execute(
        """SELECT _line, settlement_id, currency, first FROM (
            SELECT _line, settlement_id, currency,
                first(currency ORDER BY _line) OVER (PARTITION BY settlement_id) AS first
            FROM _stage WHERE currency IS NOT NULL)
        WHERE currency <> first ORDER BY _line LIMIT 1"""
    ).fetchone()
    if mixed:
        line, settlement, currency, first = mixed
        raise LoadError(
            f"line {line}: currency {currency} in settlement {settlement}, whose earlier rows "
            f"are in {first}; a settlement is paid in one currency, so this file was edited or "
            "joined from several: download it again from Payments > All Statements "
            "(file not loaded)"
        )
    content = ", ".join(f'"{c}"' for c in line_columns if c not in ("currency", "total_amount"))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fingerprints AS
        SELECT settlement_id, count(*) AS line_count,
               sum(hash({content})::HUGEINT) AS fingerprint,
               settlement_id NOT IN (SELECT settlement_id FROM settlements) AS new
        FROM _stage WHERE NOT ({SETTLEMENT_TOTALS_ROW}) GROUP BY settlement_id"""
    )
    conflict = con.execute(
        """SELECT f.settlement_id, p.name FROM _fingerprints f
        JOIN settlements s USING (settlement_id) JOIN files p ON p.file_id = s._file_id
        WHERE s.fingerprint <> f.fingerprint OR s.line_count <> f.line_count
        ORDER BY 1 LIMIT 1"""
    ).fetchone()
    if conflict:
        raise LoadError(
            f"settlement {conflict[0]} is already loaded from {conflict[1]} with different rows;"
            " keep the download you trust and remove the other (file not loaded)"
        )
    file_id = con.execute("SELECT any_value(_file_id) FROM _stage").fetchone()[0]
    con.execute(
        f"""INSERT INTO settlements
        SELECT f.settlement_id, t.settlement_start_date, t.settlement_end_date, t.deposit_date,
               t.total_amount, t.currency, f.line_count, f.fingerprint,
               {file_id if file_id is not None else "NULL"}, t._line
        FROM _fingerprints f LEFT JOIN _totals t USING (settlement_id)
        WHERE f.new"""
    )
    # Settlements not loaded before go in whole, each line with the currency its totals row
    # names.
    columns = _target_columns(con, report.table)
    select = ", ".join(
        "coalesce(s.currency, t.currency)" if c == "currency" else f's."{c}"' for c in columns
    )
    before = con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0]
    _append(
        con,
        f"""INSERT INTO {report.table} ({", ".join(f'"{c}"' for c in columns)})
        SELECT {select} FROM _stage s LEFT JOIN _totals t USING (settlement_id)
        WHERE NOT ({SETTLEMENT_TOTALS_ROW})
          AND s.settlement_id IN (SELECT settlement_id FROM _fingerprints WHERE new)""",
    )
    con.execute("DROP TABLE _totals")
    con.execute("DROP TABLE _fingerprints")
    return con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0] - before


MERGERS = {
    MULTISET: _merge_multiset,
    NATURAL_KEY: _merge_natural_key,
    LATEST: _merge_latest,
    SETTLEMENT: _merge_settlement,
    SNAPSHOT: _merge_natural_key,
}
