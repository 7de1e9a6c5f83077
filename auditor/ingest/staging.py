"""Typing a file's rows into `_stage` as DuckDB's reader reads them (or, should a value not fit
the type the file's head promised, from a text copy of the file in `_raw`), shaped like its
report's table: values typed and checked, rows no report can hold set aside, each row given its
event identity."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

from auditor import parsing
from auditor.ingest.errors import LoadError
from auditor.ingest.reading import (
    Formats,
    Typing,
    plan,
    raw_columns,
    read_as_text,
    read_whole,
    rows_sql,
)
from auditor.parsing import sql_text
from auditor.reports import (
    EVENT_DATE,
    FUTURE_SLACK_DAYS,
    LATEST,
    NEVER_NEGATIVE,
    SETTLEMENT,
    SQL_TYPES,
    Report,
)
from auditor.sniff import Sniffed
from auditor.sources import Source

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
# The first data row of a settlement file carries only its totals.
SETTLEMENT_TOTALS_ROW = "transaction_type IS NULL AND amount_type IS NULL AND amount IS NULL"


def stage(
    con: duckdb.DuckDBPyConnection, source: Source, sniffed: Sniffed, file_id: int, path: Path
) -> tuple[int, list[tuple[int, str]]]:
    """Type the file's rows into `_stage`, shaped like the report's table with each row's event
    identity (`_key`, `_occurrence`); return the rows read and the (line, reason) of each row
    set aside.

    The rows go from DuckDB's reader straight into `_stage`, typed and numbered as they are
    read. Should a value not fit the type the file's head promised, `_stage` is made again from
    the file read as text (`reading`)."""
    report = sniffed.report
    formats, typing = plan(con, sniffed, path)
    con.execute(
        f"CREATE TEMP TABLE _stage AS {_typed(source, sniffed, file_id, formats, typing, None)}",
        [str(path)],
    )
    if not read_whole(con, typing):
        con.execute("DROP TABLE _stage")
        formats, typing = read_as_text(con, sniffed, path)
        con.execute(
            f"CREATE TEMP TABLE _stage AS "
            f"{_typed(source, sniffed, file_id, formats, typing, '_raw')}"
        )
    checks = _checks(sniffed, formats, typing)
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
    if event_identity(report):
        _number_repeats(con)
    data_rows = f"NOT ({SETTLEMENT_TOTALS_ROW})" if report.key == "settlement" else "true"
    kept = con.execute(f"SELECT count(*) FILTER (WHERE {data_rows}) FROM _stage").fetchone()[0]
    return kept + len(aside), aside


def _expressions(sniffed: Sniffed, formats: Formats, typing: Typing) -> tuple[list, list]:
    """The report's columns as SQL over the raw columns, and a check per typed column that
    names a value that did not read."""
    by_name = {column.name: f"c{position}" for position, column in sniffed.mapping.items()}
    selects, checks = [], []
    for column in sniffed.report.columns:
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
    return selects, checks


def _checks(sniffed: Sniffed, formats: Formats, typing: Typing) -> list:
    return _expressions(sniffed, formats, typing)[1]


def _typed(
    source: Source,
    sniffed: Sniffed,
    file_id: int,
    formats: Formats,
    typing: Typing,
    table: str | None,
) -> str:
    """The SELECT that types the file's rows: from `table` (a text copy of the file, numbered by
    its row ids) or, with `table` None, from the reader itself (its one parameter is the file's
    path), numbered as they are read."""
    report = sniffed.report
    selects, checks = _expressions(sniffed, formats, typing)
    if table is None:
        # The reader hands its rows on in file order, as the streaming row_number() sees them.
        rows = f"(SELECT *, row_number() OVER () AS _n FROM {rows_sql(sniffed, typing)})"
    else:
        rows = f"(SELECT *, rowid + 1 - (SELECT min(rowid) FROM {table}) AS _n FROM {table})"
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
        for c in raw_columns(sniffed)
    )
    problems = f"concat_ws('; ', {', '.join(checks)})" if checks else "''"
    typed = f"""SELECT {", ".join(selects)},
               {file_id}::INTEGER AS _file_id,
               ({sniffed.header_line} + _n)::BIGINT AS _line,
               {extra} AS extra,
               {problems} AS _problem
        FROM {rows} WHERE {not_empty}"""
    replace, add = _report_specific(source, sniffed)
    if replace or add:
        typed = (
            "SELECT * "
            + (f"REPLACE ({', '.join(f'{e} AS {n}' for n, e in replace.items())})" * bool(replace))
            + "".join(f", {e} AS {n}" for n, e in add.items())
            + f" FROM ({typed})"
        )
    key = event_identity(report)
    if key:
        keys = ", ".join(f'"{k}"' for k in key)
        return f"SELECT *, hash({keys}) AS _key, 1 AS _occurrence FROM ({typed})"
    return f"SELECT *, NULL::UBIGINT AS _key, NULL::INTEGER AS _occurrence FROM ({typed})"


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


def event_identity(report: Report) -> list[str]:
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


def file_currency(con: duckdb.DuckDBPyConnection, report: Report, sniffed: Sniffed) -> str | None:
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
