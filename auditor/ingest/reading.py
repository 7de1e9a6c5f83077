"""Reading a report file with DuckDB's CSV reader, and deciding how it writes numbers and dates.

The file's head is read first (`plan`): columns whose values there are plain (numbers with a
point, dates in one exact format) are typed by the reader itself as it reads, which costs almost
nothing; the others are read as text and typed in SQL. The reader's rows then go straight into
`_stage` (`staging`), numbered in file order as they are read. Should a later row not fit the
type the head promised, the file is read again with every column as text into `_raw`
(`read_as_text`) and its formats decided from a spread of all its rows, so the result never
depends on which rows were sampled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from auditor import parsing
from auditor.ingest.errors import LoadError
from auditor.parsing import sql_text
from auditor.reports import SQL_TYPES
from auditor.sniff import Sniffed

HEAD_ROWS = 5000
SAMPLE_ROWS = 2000


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_raw", "_sample", "_stage", "_rejects", "_reject_scans", "_aside"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


@dataclass
class Typing:
    native: dict[str, str]  # raw column -> the DuckDB type the reader gives it
    dateformat: str | None = None
    timestampformat: str | None = None


def raw_columns(sniffed: Sniffed) -> list[str]:
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
    drop_scratch(con)
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in raw_columns(sniffed)) + "}"
    con.execute(
        f"""CREATE TEMP TABLE _sample AS SELECT * FROM read_csv(
            ?, {_csv_options(sniffed)}, columns = {columns}, ignore_errors = true)
        LIMIT {HEAD_ROWS}""",
        [str(path)],
    )


def rows_sql(sniffed: Sniffed, typing: Typing | None) -> str:
    """The reader over the file (its path the one parameter), typing the columns in
    `typing.native` as it reads and keeping the rows it cannot read in `_rejects`."""
    native = typing.native if typing else {}
    columns = (
        "{" + ", ".join(f"'{c}': '{native.get(c, 'VARCHAR')}'" for c in raw_columns(sniffed)) + "}"
    )
    formats = ""
    if typing and native:
        formats = ", thousands = ','"
        if typing.dateformat:
            formats += f", dateformat = {sql_text(typing.dateformat)}"
        if typing.timestampformat:
            formats += f", timestampformat = {sql_text(typing.timestampformat)}"
    return f"""read_csv(?, {_csv_options(sniffed)}, columns = {columns}{formats},
        store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans',
        rejects_limit = 20)"""


def _forget_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _reject_scans")


def read_whole(con: duckdb.DuckDBPyConnection, typing: Typing | None) -> bool:
    """After a read by `rows_sql`: True when the reader read every row; False when a value did
    not fit the type chosen for its column (the file is then read again as text). A row with
    the wrong number of fields, or bytes that are not text, refuse the file."""
    rejected = con.execute(
        "SELECT line, error_type, error_message, count(DISTINCT line) OVER () FROM _rejects "
        "ORDER BY error_type = 'CAST', line LIMIT 1"
    ).fetchone()
    _forget_rejects(con)
    if rejected is None:
        return True
    line, kind, message, count = rejected
    if kind == "CAST" and typing and typing.native:
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


# -- how the file writes its numbers and dates -----------------------------------------------


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


def plan(con: duckdb.DuckDBPyConnection, sniffed: Sniffed, path: Path) -> tuple[Formats, Typing]:
    """How to read the file, from its head: its formats and the columns the reader can type."""
    _forget_rejects(con)
    _read_head(con, sniffed, path)
    formats = _formats(con, sniffed)
    return formats, _native_typing(con, sniffed, formats)


def read_as_text(
    con: duckdb.DuckDBPyConnection, sniffed: Sniffed, path: Path
) -> tuple[Formats, Typing]:
    """Read the file into `_raw` with every column as text, and decide its formats from a spread
    of its rows, not only its head."""
    con.execute("DROP TABLE IF EXISTS _raw")
    con.execute(f"CREATE TEMP TABLE _raw AS SELECT * FROM {rows_sql(sniffed, None)}", [str(path)])
    read_whole(con, None)
    _spread_sample(con)
    return _formats(con, sniffed), Typing({})
