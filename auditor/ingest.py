"""Load a folder of Seller Central downloads into the seller's database.

Each file is read by DuckDB's CSV reader into a text table, typed in one SQL statement, merged
into its report's table as RULEBOOK §1 says, and recorded in `files` — all in one transaction, so a
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
from auditor.prepare import PrepareError, file_sha256, prepare
from auditor.reports import (
    LATEST,
    MULTISET,
    NATURAL_KEY,
    SETTLEMENT,
    SNAPSHOT,
    SQL_TYPES,
    Report,
)
from auditor.sniff import SAMPLE_BYTES, NotAReport, Sniffed, sniff
from auditor.sources import Source, SourceError, iter_sources, remove_workdir

# The column that dates each report's rows, for the summary's "date range covered".
DATE_COLUMN = {
    "ledger": "date",
    "adjustments": "adjusted_date",
    "returns": "return_date",
    "reimbursements": "approval_date",
    "fee_preview": "snapshot_date",
    "settlement": "posted_date",
    "transactions": "date_time",
    "orders": "purchase_date",
    "removals": "request_date",
    "inbound": "closed_date",
}

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
# The first data row of a settlement file carries only its totals (RULEBOOK §1).
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


Progress = Callable[[str, int], None]  # (file name, bytes done)


def ingest(
    con: duckdb.DuckDBPyConnection,
    reports_dir: str | Path,
    progress: Progress | None = None,
    encoding: str | None = None,
) -> list[FileResult]:
    """Load every report below `reports_dir`; one result per file seen, in a stable order."""
    workdir = Path(tempfile.mkdtemp(prefix="fba-audit-"))
    results: list[FileResult] = []
    try:
        for item in iter_sources(Path(reports_dir), workdir, exclude=_database_files(con)):
            if isinstance(item, SourceError):
                name, _, message = str(item).partition(": ")
                results.append(FileResult(name, None, "error", message=message))
                continue
            results.append(load_source(con, item, workdir, encoding))
            if progress:
                progress(item.name, item.path.stat().st_size)
            _pause_for_tests(len(results))
    finally:
        remove_workdir(workdir)
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
        return FileResult(source.name, None, "unknown", message="empty file; skipped")
    try:
        sniffed = sniff(sample, source.name, encoding)
    except NotAReport:
        return FileResult(
            source.name, None, "unknown", message="not a report fba-audit reads; skipped"
        )
    report = sniffed.report
    # Cheap check first: a file already loaded is not read again.
    digest = file_sha256(source.path)
    known = con.execute(
        "SELECT rows_read, min_date, max_date FROM files WHERE sha256 = ?", [digest]
    ).fetchone()
    if known:
        rows, first, last = known
        return FileResult(source.name, report.key, "present", rows, 0, rows, first, last)
    try:
        prepared = prepare(source.path, sniffed, workdir)
        return _load(con, source, sniffed, prepared.path, digest)
    except (LoadError, PrepareError) as error:
        return FileResult(source.name, report.key, "error", message=str(error))


def _load(
    con: duckdb.DuckDBPyConnection, source: Source, sniffed: Sniffed, path: Path, digest: str
) -> FileResult:
    report = sniffed.report
    con.execute("BEGIN TRANSACTION")
    try:
        file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
        _read_raw(con, sniffed, path)
        rows_read = _stage(con, source, sniffed, file_id)
        rows_new = MERGERS[report.merge](con, report, source)
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
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
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
                rows_read - rows_new,
                span[0],
                span[1],
                currency,
                source.mtime,
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
        rows_read - rows_new,
        span[0],
        span[1],
    )


def _drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_raw", "_sample", "_stage", "_rejects", "_reject_scans"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _duckdb_message(error: duckdb.Error) -> str:
    text = " ".join(str(error).split())
    line = re.search(r"[Ll]ine:? (\d+)", text)
    first = text.split(". ")[0][:200]
    return f"line {line.group(1)}: {first}" if line else first


# -- reading ---------------------------------------------------------------------------------


def _raw_columns(sniffed: Sniffed) -> list[str]:
    return [f"c{i}" for i in range(len(sniffed.header))]


def _read_raw(con: duckdb.DuckDBPyConnection, sniffed: Sniffed, path: Path) -> None:
    _drop_scratch(con)
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in _raw_columns(sniffed)) + "}"
    quote = "'\"'" if sniffed.quoted else "''"
    # A header ending in a stray delimiter names an empty last column its rows may lack;
    # anywhere else a short row is a cut-off download and is refused.
    padding = "true" if sniffed.header and not sniffed.header[-1] else "false"
    delimiter = "'\\t'" if sniffed.delimiter == "\t" else "','"
    con.execute(
        f"""CREATE TEMP TABLE _raw AS SELECT * FROM read_csv(
            ?, delim = {delimiter}, quote = {quote}, escape = {quote}, header = false,
            skip = {sniffed.header_line}, columns = {columns}, auto_detect = false,
            strict_mode = true, null_padding = {padding}, max_line_size = 16777216,
            store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans',
            rejects_limit = 20, parallel = true)""",
        [str(path)],
    )
    rejected = con.execute(
        "SELECT line, error_type, error_message FROM _rejects ORDER BY line LIMIT 1"
    ).fetchone()
    if rejected:
        line, kind, message = rejected
        count = con.execute("SELECT count(DISTINCT line) FROM _rejects").fetchone()[0]
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


def _samples(con: duckdb.DuckDBPyConnection, columns: list[str]) -> dict[str, list[str]]:
    """The non-empty values of `columns` in `_sample` (the file's head and a spread of rows)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _sample AS
        (SELECT * FROM _raw LIMIT {SAMPLE_ROWS})
        UNION ALL
        (SELECT * FROM _raw USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"""
    )
    if not columns:
        return {}
    rows = con.execute(
        f"SELECT {', '.join(columns)} FROM _sample LIMIT {SAMPLE_ROWS * 2}"
    ).fetchall()
    return {
        column: list(dict.fromkeys(r[i] for r in rows if r[i] is not None and r[i].strip()))
        for i, column in enumerate(columns)
    }


def _stage(con: duckdb.DuckDBPyConnection, source: Source, sniffed: Sniffed, file_id: int) -> int:
    """Type the raw text into `_stage`, shaped like the report's table; return the rows read."""
    report = sniffed.report
    by_name = {column.name: f"c{position}" for position, column in sniffed.mapping.items()}
    typed = {name: raw for name, raw in by_name.items() if report.column(name).kind != "text"}
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
    formats = parsing.choose_date_formats(con, "_sample", date_columns, dayfirst)

    selects, checks = [], []
    for column in report.columns:
        raw = by_name.get(column.name)
        sql_type = SQL_TYPES[column.kind]
        if raw is None:
            selects.append(f'CAST(NULL AS {sql_type}) AS "{column.name}"')
            continue
        if column.kind == "text":
            expr = parsing.text_sql(raw)
        elif column.kind in ("date", "timestamp"):
            expr = parsing.date_sql(formats[raw], column.kind)
        else:
            expr = parsing.number_sql(raw, decimal_comma, column.kind)
        selects.append(f'{expr} AS "{column.name}"')
        if column.kind != "text":
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
        "json_object(" + ", ".join(f"{_sql_str(n)}, {c}" for n, c in extras) + ")::VARCHAR"
        if extras
        else "CAST(NULL AS VARCHAR)"
    )
    not_empty = " OR ".join(f"nullif(trim({c}), '') IS NOT NULL" for c in _raw_columns(sniffed))
    problems = f"concat_ws('; ', {', '.join(checks)})" if checks else "''"
    con.execute(
        f"""CREATE TEMP TABLE _stage AS
        SELECT {", ".join(selects)},
               {file_id}::INTEGER AS _file_id,
               ({sniffed.header_line} + 1 + rowid - (SELECT min(rowid) FROM _raw))::BIGINT
                   AS _line,
               {extra} AS extra,
               {problems} AS _problem
        FROM _raw WHERE {not_empty}"""
    )
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
    con.execute("ALTER TABLE _stage DROP COLUMN _problem")
    _report_specific(con, source, sniffed)
    data_rows = f"NOT ({SETTLEMENT_TOTALS_ROW})" if report.key == "settlement" else "true"
    return con.execute(f"SELECT count(*) FILTER (WHERE {data_rows}) FROM _stage").fetchone()[0]


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _report_specific(con: duckdb.DuckDBPyConnection, source: Source, sniffed: Sniffed) -> None:
    key = sniffed.report.key
    if key == "transactions":
        mapping = (
            "MAP {"
            + ", ".join(f"{_sql_str(k)}: {_sql_str(v)}" for k, v in TRANSACTION_TYPES.items())
            + "}"
        )
        markets = (
            "MAP {"
            + ", ".join(f"{_sql_str(k)}: {_sql_str(v)}" for k, v in MARKETPLACE_CURRENCY.items())
            + "}"
        )
        preamble = sniffed.preamble_currency
        currency = _sql_str(preamble) if preamble else "NULL"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _stage AS
            SELECT * REPLACE (coalesce({mapping}[lower(type)], type) AS type),
                   type AS type_raw,
                   coalesce({currency}, {markets}[lower(marketplace)]) AS currency
            FROM _stage"""
        )
    elif key == "fee_preview":
        found = _FILE_NAME_DATE.search(Path(source.name).name)
        day = (
            dt.date(*map(int, found.groups()))
            if found
            else dt.datetime.fromtimestamp(source.mtime).date()
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _stage AS "
            f"SELECT *, DATE '{day.isoformat()}' AS snapshot_date FROM _stage"
        )


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


def _insert_new(
    con: duckdb.DuckDBPyConnection, report: Report, key: list[str], occurrence: bool
) -> int:
    """Insert the staged rows whose key (and occurrence number) the table does not have yet."""
    keys = ", ".join(f's."{k}"' for k in key)
    occurrence_sql = (
        f"row_number() OVER (PARTITION BY {keys} ORDER BY s._line)::INTEGER" if occurrence else "1"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _stage AS
        SELECT s.*, hash({keys}) AS _key, {occurrence_sql} AS _occurrence FROM _stage s"""
    )
    if not occurrence:
        # A natural key: the first row in the file is kept.
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _stage AS SELECT * FROM _stage
            QUALIFY row_number() OVER (PARTITION BY _key ORDER BY _line) = 1"""
        )
    same = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in key)
    columns = ", ".join(f'"{c}"' for c in _target_columns(con, report.table))
    before = con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0]
    con.execute(
        f"""INSERT INTO {report.table} ({columns})
        SELECT {columns} FROM _stage s
        WHERE NOT EXISTS (SELECT 1 FROM {report.table} t
                          WHERE t._key = s._key AND t._occurrence = s._occurrence AND {same})"""
    )
    return con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0] - before


def _merge_multiset(con, report: Report, source: Source) -> int:
    return _insert_new(con, report, list(report.key_columns), occurrence=True)


def _merge_natural_key(con, report: Report, source: Source) -> int:
    return _insert_new(con, report, list(report.key_columns), occurrence=False)


def _merge_latest(con, report: Report, source: Source) -> int:
    # Every distinct row is kept; the views pick the newest per key.
    return _insert_new(con, report, [c.name for c in report.columns], occurrence=True)


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
    con.execute(f"DELETE FROM _stage WHERE {SETTLEMENT_TOTALS_ROW}")
    content = ", ".join(f'"{c}"' for c in line_columns if c not in ("currency", "total_amount"))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fingerprints AS
        SELECT settlement_id, count(*) AS line_count,
               sum(hash({content})::HUGEINT) AS fingerprint
        FROM _stage GROUP BY settlement_id"""
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
    con.execute(
        """DELETE FROM _stage WHERE settlement_id IN (SELECT settlement_id FROM settlements)"""
    )
    file_id = con.execute("SELECT any_value(_file_id) FROM _stage").fetchone()[0]
    con.execute(
        f"""INSERT INTO settlements
        SELECT f.settlement_id, t.settlement_start_date, t.settlement_end_date, t.deposit_date,
               t.total_amount, t.currency, f.line_count, f.fingerprint,
               {file_id if file_id is not None else "NULL"}, t._line
        FROM _fingerprints f LEFT JOIN _totals t USING (settlement_id)
        WHERE f.settlement_id NOT IN (SELECT settlement_id FROM settlements)"""
    )
    con.execute(
        "UPDATE _stage SET currency = t.currency FROM _totals t "
        "WHERE _stage.settlement_id = t.settlement_id AND _stage.currency IS NULL"
    )
    con.execute("DROP TABLE _totals")
    con.execute("DROP TABLE _fingerprints")
    return _insert_new(con, report, line_columns, occurrence=True)


MERGERS = {
    MULTISET: _merge_multiset,
    NATURAL_KEY: _merge_natural_key,
    LATEST: _merge_latest,
    SETTLEMENT: _merge_settlement,
    SNAPSHOT: _merge_natural_key,
}
